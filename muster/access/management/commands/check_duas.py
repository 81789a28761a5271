"""Pause access on DUA-requiring services where the contract's DUA has expired.

The daily sweep calls `access.dua.pause_lapsed`; this command runs it by hand (or from
cron) for today, or for --day YYYY-MM-DD. Safe to run again: nothing is paused or emailed
twice.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError

from muster import clock
from muster.access.dua import pause_lapsed


class Command(BaseCommand):
    help = "Pause access on services that need a DUA where the contract's DUA has expired."

    def add_arguments(self, parser):
        parser.add_argument("--day", help="Check as of this date (YYYY-MM-DD); default today.")

    def handle(self, *args, day=None, **options):
        try:
            when = datetime.date.fromisoformat(day) if day else clock.today()
        except ValueError as error:
            raise CommandError(f"--day must be a date like 2026-11-24, not {day!r}.") from error
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
