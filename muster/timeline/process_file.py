"""Read a process template from its TOML file (see data/default_process.toml)."""

import tomllib
from pathlib import Path

from .models import Milestone

DEFAULT_PROCESS_FILE = Path(__file__).parent / "data" / "default_process.toml"
STEP_FIELDS = ("key", "process", "phase", "name", "anchor", "offset", "responsible", "evidence")


class ProcessFileError(ValueError):
    pass


def read_process_file(path: Path = DEFAULT_PROCESS_FILE) -> dict:
    with open(path, "rb") as f:
        data = tomllib.load(f)
    for field in ("slug", "name", "step"):
        if field not in data:
            raise ProcessFileError(f"{path}: missing '{field}'")
    keys = set()
    for number, step in enumerate(data["step"], start=1):
        missing = [f for f in STEP_FIELDS if f not in step]
        if missing:
            raise ProcessFileError(f"{path}: step {number} lacks {', '.join(missing)}")
        if step["key"] in keys:
            raise ProcessFileError(f"{path}: step key '{step['key']}' is used twice")
        keys.add(step["key"])
        _check_values(path, number, step)
    return data


def _check_values(path, number: int, step: dict) -> None:
    """Refuse values a contract could not compute a due date from."""
    allowed = {
        "anchor": set(Milestone.values),
        "unit": {"calendar", "business"},
        "process": {"onboarding", "offboarding"},
    }
    for field, values in allowed.items():
        value = step.get(field, "calendar" if field == "unit" else None)
        if value not in values:
            raise ProcessFileError(
                f"{path}: step {number} has {field} '{value}'; use one of "
                f"{', '.join(sorted(values))}"
            )
    if not isinstance(step["offset"], int):
        raise ProcessFileError(f"{path}: step {number}'s offset must be a whole number")
    parties = {"cor", "contractor", "onboarding_team", "team_lead", "service_lead"}
    unknown = set(step["responsible"]) - parties
    if unknown:
        raise ProcessFileError(
            f"{path}: step {number} names unknown responsible parties {sorted(unknown)}"
        )


def install_template(data: dict, template_model, step_model, *, make_default: bool):
    """Create the template, or replace its steps if it exists. Takes model classes so a
    migration can pass its historical models."""
    if make_default:
        template_model.objects.filter(is_default=True).exclude(slug=data["slug"]).update(
            is_default=False
        )
    template, _ = template_model.objects.update_or_create(
        slug=data["slug"],
        defaults={
            "name": data["name"],
            "description": data.get("description", ""),
            **({"is_default": True} if make_default else {}),
        },
    )
    template.steps.all().delete()
    step_model.objects.bulk_create(
        step_model(
            template=template,
            order=order,
            key=step["key"],
            process=step["process"],
            phase=step["phase"],
            name=step["name"],
            description=step.get("description", ""),
            anchor=step["anchor"],
            offset=step["offset"],
            offset_unit=step.get("unit", "calendar"),
            responsible=list(step["responsible"]),
            evidence=step["evidence"],
        )
        for order, step in enumerate(data["step"], start=1)
    )
    return template
