from django.core.management.base import CommandError

from muster import commands
from muster.audit import checkpoints


class Command(commands.Command):
    help = (
        "Sign the audit record's head now (the daily sweep does it too), write it to the log "
        "and email it to AUDIT_EMAIL. Refused when records an earlier checkpoint covers are "
        "gone, unless --accept-loss."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--accept-loss", action="store_true",
            help="checkpoint the record as it is although records are missing (after a "
            "restore from an older backup, or a change of AUDIT_CHECKPOINT_KEY); logged",
        )

    def handle(self, *args, **options):
        try:
            checkpoint = checkpoints.make(accept_loss=options["accept_loss"])
        except checkpoints.LossFound as loss:
            for found in loss.findings:
                self.stderr.write(found.detail)
            raise CommandError(
                "No checkpoint made: records are missing (see above; an alarm went to the log "
                "and to AUDIT_EMAIL). --accept-loss checkpoints the record as it is."
            ) from None
        head = checkpoints.Head.of(checkpoint)
        self.stdout.write(f"Audit {head.label}. Keep this line outside the database:")
        self.stdout.write(head.token)
