"""What a scenario's form hands the services besides its answers (a new SO or SPOC, a new
DUA), and the answers as the closeout stores them."""

import datetime
from dataclasses import dataclass

from django.core.files import File


@dataclass
class Person:
    """A new SO or SPOC named by the COR for a re-award."""

    full_name: str
    email: str
    harp_id: str


@dataclass
class NewDua:
    """A new or updated signed DUA given with a scenario."""

    number: str
    expiry_date: datetime.date
    document: File
    effective_date: datetime.date | None = None


def as_json(answers: dict) -> dict:
    """The answers as stored: dates as ISO text, files left out."""
    return {k: (v.isoformat() if isinstance(v, datetime.date) else v)
            for k, v in answers.items() if not hasattr(v, "read")}
