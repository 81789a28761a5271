"""Write the API's OpenAPI document, or check the committed one matches the code."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from muster.api.api import api

COMMITTED = Path(settings.BASE_DIR) / "docs" / "openapi.json"


def current_document() -> str:
    schema = api.get_openapi_schema(path_prefix="/api/v1")
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


class Command(BaseCommand):
    help = "Write docs/openapi.json from the code (--check: fail if it differs)."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true",
                            help="Fail if docs/openapi.json is not what the code makes.")
        parser.add_argument("--output", default=str(COMMITTED))

    def handle(self, *args, check=False, output=str(COMMITTED), **options):
        document = current_document()
        target = Path(output)
        if check:
            if not target.exists() or target.read_text() != document:
                raise CommandError(
                    f"{target} is not what the code makes: run `manage.py openapi` and "
                    "commit it.")
            self.stdout.write(f"{target} matches the code.")
            return
        target.write_text(document)
        self.stdout.write(f"Wrote {target}.")
