from django.conf import settings
from django.core.management.base import BaseCommand

from muster.demo import data as demo


class Command(BaseCommand):
    help = "Load made-up demo people and contracts, only if the database has none yet."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-if-loaded", action="store_true")

    def handle(self, *args, **options):
        if demo.is_loaded():
            self.stdout.write("Demo data already loaded; leaving the database as it is.")
        else:
            created = demo.load()
            self.stdout.write(self.style.SUCCESS(f"Loaded {len(created)} demo contracts."))
        self.stdout.write(f"\nDemo sign-ins (password for all: {demo.DEMO_PASSWORD}):")
        for role, email in demo.sign_ins():
            self.stdout.write(f"  {role:<32} {email}")
        base_url = settings.MUSTER_BASE_URL.rstrip("/")
        self.stdout.write(f"\nMuster: {base_url}/  ·  mail goes to var/outbox/\n")
