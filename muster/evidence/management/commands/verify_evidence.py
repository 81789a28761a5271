"""manage.py verify_evidence PATH.zip [--no-key]: check a downloaded evidence package
offline (reads no database). One line per problem, naming the file (and the event); exit
status 1 when anything is wrong, 0 with "verified" otherwise."""

from django.core.management.base import BaseCommand, CommandError

from muster.evidence.verify import NotAPackage, verify


class Command(BaseCommand):
    help = ("Verify an evidence package offline: its manifest's signature, every file's "
            "SHA-256, each audit event's hash and the checkpoint's signature.")
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("path", help="The downloaded package (a .zip file).")
        parser.add_argument(
            "--no-key", action="store_true",
            help="Check the hashes only: without this server's AUDIT_CHECKPOINT_KEY the "
                 "signatures cannot be checked.")

    def handle(self, *args, path: str, no_key: bool, **options):
        try:
            result = verify(path, check_signatures=not no_key)
        except NotAPackage as error:
            raise CommandError(f"{path}: {error}.") from None
        for problem in result.problems:
            self.stderr.write(problem)
        for note in result.notes:
            self.stdout.write(self.style.WARNING(note))
        if result.problems:
            raise CommandError(f"{path}: {len(result.problems)} problem(s): the package is not "
                               "as it was made. Do not rely on it.")
        self.stdout.write(self.style.SUCCESS(
            f"{path}: verified{' (hashes only, signatures not checked)' if no_key else ''}."))
        manifest = result.manifest
        contract = manifest.get("contract") or {}
        self.stdout.write(
            f"Contract {contract.get('contract_number', '?')}, generated "
            f"{manifest.get('generated_at', '?')} by {manifest.get('generated_by', '?')}; "
            f"{len(manifest.get('files', {}))} files, "
            f"{manifest.get('audit_events', '?')} audit events.")
