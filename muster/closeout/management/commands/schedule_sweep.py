import datetime

from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from muster import clock, commands
from muster.closeout.tasks import daily_sweep, next_run_at

# A sweep takes seconds. One still "running" after this long belongs to a worker that was
# stopped mid-run (the row stays RUNNING forever) and must not block the schedule.
STALE_RUN = datetime.timedelta(hours=6)


class Command(commands.Command):
    help = "Make sure the worker has the daily sweep scheduled (runs it now if never run)."

    def handle(self, *args, **options):
        ours = DBTaskResult.objects.filter(task_path=daily_sweep.module_path)
        # The worker stamps started_at with Django's timezone.now(), which clock.now() is
        # (tests freeze both at once with time-machine).
        waiting = ours.filter(status=TaskResultStatus.READY) | ours.filter(
            status=TaskResultStatus.RUNNING, started_at__gte=clock.now() - STALE_RUN
        )
        if waiting.exists():
            self.stdout.write("The daily sweep is already scheduled.")
            return
        daily_sweep.enqueue()  # now, to catch up; it schedules the next one itself
        at = next_run_at(clock.now())
        self.stdout.write(f"Daily sweep queued; then every day at {at:%H:%M}.")
