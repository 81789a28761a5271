"""The rules a new roster member must meet, shared by the one-by-one form and the CSV
import: `check_rows` checks one row or thousands with a handful of batched queries."""

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.db.models.functions import Lower

from muster import clock
from muster.accounts.models import ContractRole, User, harp_id_validator
from muster.catalog.models import Service
from muster.contracts.models import Contract
from muster.validators import INVISIBLE_MESSAGE, NAME_MAX, invisible_characters

from .dua import valid_dua
from .guards import DUA_REFUSAL
from .queries import MEMBER, approved_services

LOOKUP_CHUNK = 2000  # values per IN (...) list: well inside SQLite's parameter limit


@dataclass
class Context:
    """What checking rows needs to know about the contract, read once."""

    contract: Contract
    approved: dict[str, Service] = field(default_factory=dict)  # by lowercase name and slug
    known: dict[str, Service] = field(default_factory=dict)
    dua_ok: dict[int, bool] = field(default_factory=dict)

    @classmethod
    def load(cls, contract: Contract, today: datetime.date) -> "Context":
        ctx = cls(contract)
        for service in Service.objects.all():
            ctx.known[service.name.lower()] = ctx.known[service.slug.lower()] = service
        for service in approved_services(contract):
            ctx.approved[service.name.lower()] = ctx.approved[service.slug.lower()] = service
            if service.requires_dua:
                ctx.dua_ok[service.pk] = valid_dua(contract, today, service) is not None
        return ctx

    def resolve(self, token: str) -> tuple[Service | None, str]:
        key = token.strip().lower()
        service = self.approved.get(key)
        if service is None:
            known = self.known.get(key)
            if known is None:
                return None, f"There is no service called “{token}”."
            return None, f"{known.name} is not an approved service on this contract."
        if service.requires_dua and not self.dua_ok.get(service.pk):
            return None, DUA_REFUSAL.format(service=service.name)
        return service, ""


def chunks(values: list, size: int = LOOKUP_CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def check_rows(contract: Contract, rows: list[dict], ctx: Context | None = None) -> Context:
    """Check every row (dicts with full_name, email, harp_id, services) and set each row's
    `errors` (a list of messages) and `field_errors` ({field: [messages]}). Values are
    normalized in place (email lowercased). A few queries, whatever the number of rows."""
    ctx = ctx or Context.load(contract, clock.today())
    first_email: dict[str, int | None] = {}  # the line each value is first seen on
    first_harp: dict[str, int | None] = {}
    for row in rows:
        problems: dict[str, list[str]] = {}

        def add(name, message, problems=problems):
            problems.setdefault(name, []).append(message)

        row["full_name"] = " ".join((row.get("full_name") or "").split())
        row["email"] = (row.get("email") or "").strip().lower()
        row["harp_id"] = (row.get("harp_id") or "").strip()
        for name in MEMBER_LABELS:
            _check_visible_and_short(row, name, add)
        if not row["full_name"]:
            add("full_name", "Enter the person's full name.")
        if not row["email"]:
            add("email", "Enter the person's email address.")
        elif "email" not in problems:
            try:
                validate_email(row["email"])
            except ValidationError:
                add("email", f"“{row['email']}” is not an email address.")
        if not row["harp_id"]:
            add("harp_id", "Enter the person's HARP ID: every contractor user needs one.")
        elif "harp_id" not in problems:
            try:
                harp_id_validator(row["harp_id"])
            except ValidationError as error:
                add("harp_id", error.messages[0])
        line = row.get("line")
        if row["email"] and "email" not in problems:
            if row["email"] in first_email:
                add("email", f"The same email address is on line {first_email[row['email']]}.")
            else:
                first_email[row["email"]] = line
        harp_key = row["harp_id"].lower()
        if harp_key and "harp_id" not in problems:
            if harp_key in first_harp:
                add("harp_id", f"The same HARP ID is on line {first_harp[harp_key]}.")
            else:
                first_harp[harp_key] = line
        resolved = []
        row["services"] = [t if len(t) <= NAME_MAX else t[:NAME_MAX] + "…"
                           for t in row.get("services") or []]
        for token in row["services"]:
            service, problem = ctx.resolve(token)
            if problem:
                add("services", problem)
            elif service not in resolved:
                resolved.append(service)
        row["_services"] = resolved
        row["_problems"] = problems
    _check_against_muster(contract, rows)
    for row in rows:
        problems = row.pop("_problems")
        row["field_errors"] = problems
        row["errors"] = [*row.get("parse_errors", []),
                         *(m for msgs in problems.values() for m in msgs)]
    return ctx


MEMBER_LABELS = {"full_name": "full name", "email": "email address", "harp_id": "HARP ID"}


def _check_visible_and_short(row: dict, name: str, add) -> None:
    """The User model field's own limit and visible-characters rule (its forms and the
    admin apply them too). A value over the limit is kept clipped, so the preview stays
    small and the row still fails."""
    field = User._meta.get_field(name)
    assert isinstance(field, models.CharField) and field.max_length is not None
    label, limit = MEMBER_LABELS[name], field.max_length
    if len(row[name]) > limit:
        add(name, f"The {label} has {len(row[name]):,} characters; at most {limit} fit.")
        row[name] = row[name][:limit] + "…"
    found = invisible_characters(row[name])
    if found:
        add(name, INVISIBLE_MESSAGE % {"subject": f"The {label}", "found": found})


def _check_against_muster(contract: Contract, rows: list[dict]) -> None:
    """People already in Muster: batched lookups by email, by HARP ID and on the roster."""
    emails = sorted({r["email"] for r in rows if r["email"] and "email" not in r["_problems"]})
    harps = sorted({r["harp_id"].lower() for r in rows
                    if r["harp_id"] and "harp_id" not in r["_problems"]})
    by_email: dict[str, tuple] = {}
    for chunk in chunks(emails):
        for pk, email, harp in User.objects.filter(email__in=chunk).values_list(
            "pk", "email", "harp_id"
        ):
            by_email[email.lower()] = (pk, harp)
    by_harp: dict[str, str] = {}
    for chunk in chunks(harps):
        for harp, email in User.objects.annotate(h=Lower("harp_id")).filter(
            h__in=chunk
        ).values_list("h", "email"):
            by_harp[harp] = email.lower()
    members = set()
    ids = sorted(pk for pk, _ in by_email.values())
    for chunk in chunks(ids):
        members |= set(ContractRole.objects.filter(
            contract=contract, role=MEMBER, user_id__in=chunk
        ).values_list("user_id", flat=True))
    for row in rows:
        problems = row["_problems"]
        existing = by_email.get(row["email"])
        row["_user_id"] = existing[0] if existing else None
        harp_key = row["harp_id"].lower()
        holder = by_harp.get(harp_key)
        if holder is not None and holder != row["email"] and "harp_id" not in problems:
            problems.setdefault("harp_id", []).append(
                f"HARP ID {row['harp_id']} belongs to someone else in Muster: check it."
            )
        if existing and existing[1] and existing[1].lower() != harp_key and harp_key:
            problems.setdefault("harp_id", []).append(
                "The person with this email has a different HARP ID in Muster: check both."
            )
        if existing and existing[0] in members:
            problems.setdefault("email", []).append(
                "This person is already on the contract's roster."
            )
