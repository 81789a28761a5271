"""Compare each contract's stored next step (Contract.next_step, next_step_due) with a full
recomputation from its steps; print one line per contract that differs and a summary.

Exit 1 when any differ. With --fix, repair them (one set-based UPDATE) and exit 0: run it
after loading steps around the services (a bulk COPY, a restore). --verbosity 0 prints the
summary only.
"""

from django.core.management.base import CommandError

from muster import commands
from muster.timeline.services import next_step_mismatches, refresh_next_steps


def _shown(stored) -> str:
    step, due = stored
    return f"step {step} due {due.isoformat()}" if step else "none"


class Command(commands.Command):
    help = ("Check every contract's stored next step against its steps; "
            "--fix repairs those that differ.")

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true",
                            help="Store the recomputed next step where it differs.")

    def handle(self, *args, fix=False, verbosity=1, **options):
        mismatches = next_step_mismatches()
        if verbosity > 0:
            for m in mismatches:
                self.stdout.write(f"contract {m.contract_id}: stored {_shown(m.stored)}, "
                                  f"expected {_shown(m.expected)}")
        count = len(mismatches)
        if not count:
            self.stdout.write(self.style.SUCCESS(
                "Every contract's stored next step matches its steps."))
            return
        if fix:
            fixed = refresh_next_steps()
            self.stdout.write(self.style.SUCCESS(
                f"Repaired the stored next step of {fixed} contract{'s' if fixed != 1 else ''}."))
            return
        raise CommandError(
            f"{count} contract{'s' if count != 1 else ''}' stored next step differs from "
            "its steps: run `manage.py check_next_steps --fix` to repair.")
