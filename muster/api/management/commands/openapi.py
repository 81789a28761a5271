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


def _operations(document: dict) -> dict[str, dict]:
    return {f"{method.upper()} {path}": operation
            for path, methods in document.get("paths", {}).items()
            for method, operation in methods.items()}


def difference(committed: str, current: str) -> str:
    """What differs, in a few words: the operations added, removed or changed by the code
    since the file was written, or "other parts" (components, info)."""
    try:
        old = _operations(json.loads(committed))
    except ValueError:
        return "it is not JSON"
    new = _operations(json.loads(current))
    parts = [f"{label} {', '.join(sorted(names))}" for label, names in (
        ("new in the code:", new.keys() - old.keys()),
        ("gone from the code:", old.keys() - new.keys()),
        ("changed:", {name for name in new.keys() & old.keys() if new[name] != old[name]}),
    ) if names]
    return "; ".join(parts) or "other parts differ (components, info)"


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
            committed = target.read_text() if target.exists() else None
            if committed != document:
                why = "it is missing" if committed is None else difference(committed, document)
                raise CommandError(
                    f"{target} does not match the code ({why}): run "
                    "`.venv/bin/python manage.py openapi` and commit it.")
            self.stdout.write(f"{target} matches the code.")
            return
        target.write_text(document)
        self.stdout.write(f"Wrote {target}.")
