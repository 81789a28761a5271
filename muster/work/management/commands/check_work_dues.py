"""Compare each open onboarding request's and closeout's stored due date (`due`: the due
date of the timeline step it waits on, muster/timeline/copies.py) with a recomputation from
the steps; print one line per row that differs and a summary.

Exit 1 when any differ. With --fix, repair them and exit 0: run it after loading requests,
closeouts or steps around the services (a bulk COPY, a restore), as check_next_steps.
--verbosity 0 prints the summary only.
"""

from typing import Any

from django.core.management.base import CommandError

from muster import commands
from muster.closeout import models as closeout
from muster.onboarding import models as onboarding
from muster.timeline.copies import DueCopy

COPIES: list[tuple[str, DueCopy, Any]] = [
    ("onboarding request", onboarding.DUE, onboarding.OnboardingRequest),
    ("closeout", closeout.DUE, closeout.Closeout)]


def mismatches() -> list[tuple[str, int, object, object]]:
    """(what, pk, stored, expected) for every row whose stored due date differs."""
    return [(label, pk, stored, expected)
            for label, copy, model in COPIES
            for pk, stored, expected in copy.mismatches(model.objects.all())]


def _shown(day) -> str:
    return day.isoformat() if day else "none"


class Command(commands.Command):
    help = ("Check every onboarding request's and closeout's stored due date against its "
            "contract's steps; --fix repairs those that differ.")

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true",
                            help="Store the recomputed due date where it differs.")

    def handle(self, *args, fix=False, verbosity=1, **options):
        found = mismatches()
        if verbosity > 0:
            for label, pk, stored, expected in found:
                self.stdout.write(f"{label} {pk}: stored {_shown(stored)}, "
                                  f"expected {_shown(expected)}")
        if not found:
            self.stdout.write(self.style.SUCCESS(
                "Every onboarding request's and closeout's stored due date matches its steps."))
            return
        if fix:
            fixed = sum(copy.repair(model.objects.all()) for _, copy, model in COPIES)
            self.stdout.write(self.style.SUCCESS(
                f"Repaired the stored due date of {fixed} row{'s' if fixed != 1 else ''}."))
            return
        count = len(found)
        raise CommandError(
            f"{count} row{'s' if count != 1 else ''}' stored due date differs from the "
            "steps: run `manage.py check_work_dues --fix` to repair.")
