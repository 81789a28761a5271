from pathlib import Path

from django.core.management.base import CommandError

from muster import commands
from muster.operations import backups


class Command(commands.Command):
    help = (
        "Back up the database (pg_dump's custom format, or a copy of the SQLite file) and "
        "every uploaded file (local or S3) into a new folder, with a manifest of Muster's "
        "version, its migrations and each part's SHA-256. Restore with `manage.py restore`."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="a new (or empty) folder for this backup")
        parser.add_argument(
            "--no-files", action="store_true",
            help="leave the uploaded files out (when the bucket is backed up by its own "
                 "versioning or replication)",
        )

    def handle(self, *args, **options):
        directory = Path(options["directory"])
        try:
            manifest = backups.backup(directory, files=not options["no_files"])
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        except OSError as error:  # a folder that cannot be written or read, a full disk
            where = f" ({error.filename})" if error.filename else ""
            raise CommandError(
                f"Cannot write the backup{where}: {error.strerror or error}."
            ) from error
        files = manifest["files"]
        self.stdout.write(self.style.SUCCESS(f"Backed up to {directory}."))
        self.stdout.write(
            f"Database: {manifest['database']['name']} ({manifest['database']['bytes']:,} "
            f"bytes, {manifest['audit']['events']} audit records). "
            + (f"Files: {files['count']} in {files['name']} ({files['bytes']:,} bytes)."
               if files else "Files: left out (--no-files).")
        )
