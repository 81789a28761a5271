"""Pause access on DUA-requiring services where the contract's DUA has expired.

The daily sweep calls `access.dua.pause_lapsed`; this command runs it by hand (or from
cron) for today, or for --day YYYY-MM-DD. Safe to run again: nothing is paused or emailed
twice.
"""

from django.core.management.base import CommandError

from muster import clock, commands
from muster.access.dua import pause_lapsed

FUTURE_FLAG = "--act-on-future-date"


class Command(commands.Command):
    help = (
        "Pause access on services that need a DUA where the contract's DUA has expired. "
        f"A --day after today needs {FUTURE_FLAG}."
    )

    def add_arguments(self, parser):
        parser.add_argument("--day", help="Check as of this date (YYYY-MM-DD); default today.")
        parser.add_argument(
            FUTURE_FLAG, action="store_true", dest="act_on_future_date",
            help="Let a --day after today pause access for real, as if that day had come.",
        )

    def handle(self, *args, day=None, act_on_future_date=False, **options):
        today = clock.today()
        when = commands.parse_day(day, "--day") if day else today
        if when > today and not act_on_future_date:
            raise CommandError(
                f"--day {when.isoformat()} is after today ({today.isoformat()}); checking it "
                f"would pause access for real. Add {FUTURE_FLAG} if that is meant."
            )
        lapses = pause_lapsed(when)
        for lapse in lapses:
            count = len(lapse.grants)
            self.stdout.write(
                f"{lapse.contract}: DUA {lapse.dua.number} expired on "
                f"{lapse.dua.expiry_date:%Y-%m-%d}; paused {count} grant"
                f"{'s' if count != 1 else ''}:"
            )
            for grant in lapse.grants:
                self.stdout.write(f"  - {grant.user.full_name} <{grant.user.email}>: "
                                  f"{grant.service}")
        total = sum(len(lapse.grants) for lapse in lapses)
        self.stdout.write(self.style.SUCCESS(
            f"Checked DUAs as of {when:%Y-%m-%d}: {total} grant{'s' if total != 1 else ''} "
            f"paused on {len(lapses)} contract{'s' if len(lapses) != 1 else ''}."
        ))
