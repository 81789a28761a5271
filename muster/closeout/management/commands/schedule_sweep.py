from django.core.management.base import BaseCommand
from django_tasks_db.models import DBTaskResult

from muster import clock
from muster.closeout.tasks import daily_sweep, next_run_at


class Command(BaseCommand):
    help = "Make sure the worker has the daily sweep scheduled (runs it now if never run)."

    def handle(self, *args, **options):
        waiting = DBTaskResult.objects.filter(
            task_path=daily_sweep.module_path, status__in=["READY", "RUNNING"]
        )
        if waiting.exists():
            self.stdout.write("The daily sweep is already scheduled.")
            return
        daily_sweep.enqueue()  # now, to catch up; it schedules the next one itself
        at = next_run_at(clock.now())
        self.stdout.write(f"Daily sweep queued; then every day at {at:%H:%M}.")
