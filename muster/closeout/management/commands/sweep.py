import datetime

from django.core.management.base import BaseCommand, CommandError

from muster.closeout import sweep


class Command(BaseCommand):
    help = (
        "Do everything due as of today (or --date): closeout notices, reminders, escalations, "
        "end-of-performance removal of access, DUA lapses, email delivery. Safe to repeat."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Sweep as of this day (YYYY-MM-DD); default today.")

    def handle(self, *args, **options):
        day = None
        if options["date"]:
            try:
                day = datetime.date.fromisoformat(options["date"])
            except ValueError as error:
                raise CommandError("Give the date as YYYY-MM-DD.") from error
        report = sweep.run(day)
        for name, value in vars(report).items():
            self.stdout.write(f"{name.replace('_', ' ')}: {value}")
