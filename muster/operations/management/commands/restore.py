from pathlib import Path

from django.core.management.base import CommandError

from muster import commands
from muster.operations import backups


class Command(commands.Command):
    help = (
        "Restore a backup made by `manage.py backup` into the new, empty database that "
        "DATABASE_URL names, and its files into the configured storage. Checks every part "
        "against the manifest first; refuses a database that already has tables."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="the backup's folder (it holds manifest.json)")
        parser.add_argument(
            "--no-files", action="store_true",
            help="restore the database only (the files are restored by other means)",
        )

    def handle(self, *args, **options):
        try:
            restored = backups.restore(Path(options["directory"]),
                                       files=not options["no_files"])
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        except OSError as error:  # a folder that cannot be written or read, a full disk
            where = f" ({error.filename})" if error.filename else ""
            raise CommandError(
                f"Cannot read the backup{where}: {error.strerror or error}."
            ) from error
        manifest = restored.manifest
        self.stdout.write(self.style.SUCCESS(
            f"Restored the backup of {manifest['created_at']} (Muster "
            f"{manifest['muster_version']}): {manifest['audit']['events']} audit records, "
            f"{restored.files} files."
        ))
        if restored.newer_migrations:
            self.stdout.write(f"This Muster has {restored.newer_migrations} migrations newer "
                              "than the backup: run `manage.py migrate`.")
        self.stdout.write("Then run `manage.py verify_audit` (with --head-file for the "
                          "checkpoints logged or emailed since) before opening Muster.")
