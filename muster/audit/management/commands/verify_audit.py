from django.core.management.base import BaseCommand, CommandError

from muster.audit.services import verify_chain


class Command(BaseCommand):
    help = "Check the audit record's hash chain; exit non-zero if any record was tampered with."

    def handle(self, *args, **options):
        broken = verify_chain()
        if broken:
            for event in broken[:20]:
                self.stderr.write(f"Record {event.pk} ({event.at:%Y-%m-%d %H:%M}) does not match.")
            raise CommandError(f"{len(broken)} audit record(s) fail verification.")
        self.stdout.write(self.style.SUCCESS("The audit record is intact."))
