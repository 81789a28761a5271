from muster import clock, commands
from muster.closeout.tasks import keep_sweep_scheduled, next_run_at


class Command(commands.Command):
    help = "Make sure the worker has the daily sweep scheduled (runs it now if never run)."

    def handle(self, *args, **options):
        if not keep_sweep_scheduled():
            self.stdout.write("The daily sweep is already scheduled.")
            return
        at = next_run_at(clock.now())
        self.stdout.write(f"Daily sweep queued; then every day at {at:%H:%M}.")
