from pathlib import Path

from django.core.management.base import CommandError

from muster import commands
from muster.audit import checkpoints
from muster.audit.models import AuditEvent
from muster.audit.services import verify_chain


class Command(commands.Command):
    help = (
        "Check the audit record: its hash chain, the newest stored checkpoint, and any "
        "checkpoint copied from the log or the audit email (--head, --head-file). Exits "
        "non-zero if a record was changed or records are missing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--head", action="append", default=[], metavar="CHECKPOINT",
            help="a checkpoint as logged or emailed (muster-audit-checkpoint:...); repeatable",
        )
        parser.add_argument(
            "--head-file", action="append", default=[], metavar="PATH",
            help="a log file or saved email: every checkpoint in it is checked; repeatable",
        )

    def handle(self, *args, **options):
        given = self._given_heads(options["head"], options["head_file"])
        broken = verify_chain()
        total = AuditEvent.objects.count()
        stored = checkpoints.latest()
        heads = [checkpoints.Head.of(stored)] if stored else []
        heads += [h for h in given if h not in heads]
        findings = [found for head in heads for found in checkpoints.findings(head)]

        for event in broken[:20]:
            self.stderr.write(f"Record {event.pk} ({event.at:%Y-%m-%d %H:%M}) does not match.")
        for found in findings:
            self.stderr.write(found.detail)
        if broken or findings:
            summary = [f"{len(broken)} audit record(s) fail verification"] if broken else []
            summary += [found.summary for found in findings]
            text = "; ".join(summary)
            raise CommandError(f"{text[0].upper()}{text[1:]}.")

        if total == 0:
            self.stdout.write(self.style.WARNING("The audit record is empty."))
        else:
            self.stdout.write(self.style.SUCCESS("The audit record is intact."))
            self.stdout.write(f"{total} records; the hash chain verifies.")
        for head in heads:
            self.stdout.write(f"It holds everything {head.label} covers.")
        if not heads:
            self.stdout.write(
                "No checkpoint to check against, so the loss of the newest records would not "
                "show: run manage.py audit_checkpoint (the daily sweep makes one)."
            )

    def _given_heads(self, tokens: list[str], paths: list[str]) -> list:
        heads = []
        for token in tokens:
            found = checkpoints.parse(token)
            if len(found) != 1:
                raise CommandError(
                    "--head takes one checkpoint as logged or emailed: "
                    "muster-audit-checkpoint:NUMBER:RECORD:COUNT:HASH:TIME:SIGNATURE."
                )
            heads += found
        for path in paths:
            try:
                text = Path(path).read_text(encoding="utf-8", errors="replace")
            except OSError as error:
                raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
            found = checkpoints.parse(text)
            if not found:
                raise CommandError(f"No audit checkpoint in {path}.")
            heads += found
        return heads

