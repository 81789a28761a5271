"""Seed the services catalog and help contacts from data/services.toml."""

import tomllib
from pathlib import Path

CATALOG_FILE = Path(__file__).parent / "data" / "services.toml"


def read_catalog(path: Path = CATALOG_FILE) -> dict:
    with open(path, "rb") as f:
        return tomllib.load(f)


def seed_catalog(service_model, help_contact_model, path: Path = CATALOG_FILE) -> None:
    """Add missing services and help contacts; never overwrite an administrator's edits."""
    data = read_catalog(path)
    for order, entry in enumerate(data.get("service", []), start=1):
        service_model.objects.get_or_create(
            slug=entry["slug"],
            defaults={
                "name": entry["name"],
                "description": " ".join(entry["description"].split()),
                "requires_dua": entry.get("requires_dua", False),
                "eua_job_code": entry.get("eua_job_code", ""),
                "help_text": entry.get("help_text", ""),
                "order": order,
            },
        )
    if not help_contact_model.objects.exists():
        for order, entry in enumerate(data.get("help_contact", []), start=1):
            help_contact_model.objects.create(order=order, **entry)
