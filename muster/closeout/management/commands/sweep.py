from django.core.management.base import CommandError

from muster import clock, commands
from muster.closeout import sweep

FUTURE_FLAG = "--act-on-future-date"


class Command(commands.Command):
    help = (
        "Do everything due as of today (or --date): closeout notices, reminders, escalations, "
        "end-of-performance removal of access, DUA lapses, email delivery. Safe to repeat. "
        f"A date after today needs --simulate (nothing kept) or {FUTURE_FLAG}."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Sweep as of this day (YYYY-MM-DD); default today.")
        parser.add_argument(
            "--simulate", action="store_true",
            help="Do everything in a transaction that is rolled back, and print what the "
                 "sweep would have done. Nothing is kept; no email is queued or sent.",
        )
        parser.add_argument(
            FUTURE_FLAG, action="store_true", dest="act_on_future_date",
            help="Let a --date after today act for real (close contracts, remove access, "
                 "send email) as if that day had come.",
        )

    def handle(self, *args, date=None, simulate=False, act_on_future_date=False, **options):
        today = clock.today()
        day = commands.parse_day(date, "--date") if date else today
        if day > today and not (simulate or act_on_future_date):
            raise CommandError(
                f"--date {day.isoformat()} is after today ({today.isoformat()}); the sweep "
                f"would act for real. Add --simulate to see what it would do, or "
                f"{FUTURE_FLAG} to do it."
            )
        if simulate:
            self._print_simulation(sweep.simulate(day))
            return
        self._print_report(sweep.run(day))

    def _print_report(self, report: sweep.SweepReport) -> None:
        for name, value in vars(report).items():
            self.stdout.write(f"{name.replace('_', ' ')}: {value}")

    def _print_simulation(self, simulation: sweep.Simulation) -> None:
        report = simulation.report
        self.stdout.write(f"Simulated the sweep of {report.day}: nothing was kept, "
                          "no email was queued or sent.")
        self._print_report(report)
        self.stdout.write(f"It would have recorded {len(simulation.events)} change(s):")
        for event in simulation.events:
            where = f" ({event.contract})" if event.contract_id else ""
            self.stdout.write(f"  - {event.summary}{where}")
        self.stdout.write(f"It would have queued {len(simulation.emails)} email(s):")
        for email in simulation.emails:
            copy = f"; copy to {', '.join(email.cc)}" if email.cc else ""
            self.stdout.write(f"  - “{email.subject}” to {', '.join(email.to)}{copy}")
