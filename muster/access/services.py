"""Every write to the roster and its access grants: one function per action, taking the
actor, in one transaction, with its guard, audit record and email to the SO.

The rules a new roster member must meet live in `check_rows`, shared by the one-by-one
form and the CSV import (which checks every row with a handful of batched queries).
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django_fsm import can_proceed

from muster import clock
from muster.accounts import permissions
from muster.accounts.models import ContractRole, User, harp_id_validator
from muster.accounts.permissions import Action
from muster.audit import services as audit
from muster.catalog.models import Service
from muster.contracts.models import Contract, ContractService, Stage
from muster.errors import DomainError, NotAllowed
from muster.notifications import services as mail
from muster.onboarding.models import STOPPED, OnboardingRequest
from muster.onboarding.models import Status as OnboardingStatus
from muster.validators import INVISIBLE_MESSAGE, NAME_MAX, invisible_characters

from .dua import valid_dua
from .models import AccessGrant, GrantStatus, RosterImport

MEMBER = ContractRole.Role.CONTRACTOR_USER
LIVE = (GrantStatus.REQUESTED, GrantStatus.ACTIVE, GrantStatus.PAUSED)
LOOKUP_CHUNK = 2000  # values per IN (...) list: well inside SQLite's parameter limit
DUA_REFUSAL = "You cannot grant {service} while the contract's Data Use Agreement is not valid."


class AccessError(DomainError):
    """A roster action that is not allowed now; the message tells the person why."""


class InvalidMember(AccessError):
    """A new roster member's details do not pass; `errors` maps each field to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__(" ".join(m for msgs in errors.values() for m in msgs))


def require(actor, action: Action, contract: Contract) -> None:
    if not permissions.can(actor, action, contract):
        raise NotAllowed("Your role on this contract does not allow that.")


def _open(contract: Contract) -> None:
    if contract.stage == Stage.CLOSED:
        raise AccessError("This contract is closed: its roster can no longer change.")
    if contract.stage == Stage.WITHDRAWN:
        raise AccessError("This re-award was undone: the contract record is withdrawn, and "
                          "its roster can no longer change.")


def _onboarding_stands(contract: Contract) -> None:
    """A withdrawn, cancelled or rejected onboarding request grants nothing, even where its
    service leads had already approved a service: it no longer stands until reopened."""
    request = OnboardingRequest.objects.filter(contract=contract).only("status").first()
    if request is None or request.status not in STOPPED:
        return
    until = "" if request.status == OnboardingStatus.REJECTED else (
        " until the onboarding team reopens it")
    raise AccessError(f"This contract's onboarding request was {request.status} "
                      f"({request.get_status_display()}): no access can be granted{until}.")


# --- Checking new members (one or thousands) ------------------------------------------


def approved_services(contract: Contract) -> list[Service]:
    return [
        cs.service for cs in ContractService.objects.filter(
            contract=contract, status=ContractService.Status.APPROVED
        ).select_related("service").order_by("service__order", "service__name")
    ]


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


def _chunks(values: list, size: int = LOOKUP_CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def check_rows(contract: Contract, rows: list[dict], ctx: Context | None = None) -> Context:
    """Check every row (dicts with full_name, email, harp_id, services) and set each row's
    `errors` (a list of messages) and `field_errors` ({field: [messages]}). Values are
    normalized in place (email lowercased). A few queries, whatever the number of rows."""
    ctx = ctx or Context.load(contract, clock.today())
    first_email: dict[str, int] = {}
    first_harp: dict[str, int] = {}
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
    label, limit = MEMBER_LABELS[name], User._meta.get_field(name).max_length
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
    for chunk in _chunks(emails):
        for pk, email, harp in User.objects.filter(email__in=chunk).values_list(
            "pk", "email", "harp_id"
        ):
            by_email[email.lower()] = (pk, harp)
    by_harp: dict[str, str] = {}
    for chunk in _chunks(harps):
        for harp, email in User.objects.annotate(h=Lower("harp_id")).filter(
            h__in=chunk
        ).values_list("h", "email"):
            by_harp[harp] = email.lower()
    members = set()
    ids = sorted(pk for pk, _ in by_email.values())
    for chunk in _chunks(ids):
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


# --- Audit and email helpers -------------------------------------------------------------


def _so_and_spoc(contract: Contract) -> tuple[list, list]:
    holders = {r.role: r.user for r in contract.roles.filter(
        role__in=[ContractRole.Role.SO, ContractRole.Role.SPOC]
    ).select_related("user")}
    so = holders.get(ContractRole.Role.SO)
    spoc = holders.get(ContractRole.Role.SPOC)
    return ([so] if so else []), ([spoc] if spoc else [])


CHANGE_WORDS = {
    GrantStatus.REQUESTED: "requested",
    GrantStatus.ACTIVE: "confirmed (active)",
    GrantStatus.PAUSED: "paused",
    GrantStatus.REVOKED: "revoked",
}


def email_access_changed(actor, contract: Contract, grants: list[AccessGrant], key: str):
    """Tell the SO (SPOC copied) that grants changed state."""
    to, cc = _so_and_spoc(contract)
    return mail.queue(
        "access_changed", to=to, cc=cc, contract=contract, key=key,
        context={"actor": actor, "grants": grants,
                 "change": CHANGE_WORDS.get(grants[0].status, grants[0].status)},
    )


def _grant_snapshot(grant: AccessGrant) -> dict:
    return {"status": grant.status, "user": grant.user.email, "service": grant.service.slug,
            "eua_job_code": grant.eua_job_code}


# --- Roster members ---------------------------------------------------------------------


def _user_for(actor, row: dict) -> User:
    """The existing person with this email (HARP ID filled in if they had none), or a new
    one without a password."""
    user = User.objects.filter(email=row["email"]).first()
    if user is None:
        user = User(email=row["email"], full_name=row["full_name"], harp_id=row["harp_id"])
        user.set_unusable_password()
        user.save()
        audit.record(actor, "accounts.user_created", user, f"Created {user.full_name}",
                     after={"email": user.email, "harp_id": user.harp_id})
    elif not user.harp_id:
        user.harp_id = row["harp_id"]
        user.save(update_fields=["harp_id"])
        audit.record(actor, "accounts.harp_id_set", user, f"Recorded {user}'s HARP ID",
                     before={"harp_id": ""}, after={"harp_id": user.harp_id})
    return user


@transaction.atomic
def add_user(actor, contract: Contract, *, full_name: str, email: str, harp_id: str):
    """Put one person on the contract's roster (the ContractRole 'contractor_user')."""
    require(actor, Action.MANAGE_ROSTER, contract)
    _open(contract)
    row = {"line": 1, "full_name": full_name, "email": email, "harp_id": harp_id,
           "services": []}
    check_rows(contract, [row])
    if row["field_errors"]:
        raise InvalidMember(row["field_errors"])
    user = _user_for(actor, row)
    try:
        with transaction.atomic():
            role = ContractRole.objects.create(user=user, contract=contract, role=MEMBER)
    except IntegrityError as error:  # added by someone else a moment ago
        raise InvalidMember({"email": ["This person is already on the contract's roster."]}
                            ) from error
    audit.record(actor, "access.user_added", role, f"Added {user.full_name} to the roster",
                 contract=contract, after={"user": user.email, "harp_id": user.harp_id})
    to, cc = _so_and_spoc(contract)
    mail.queue("user_added", to=to, cc=cc, contract=contract, key=f"roster-added:{role.pk}",
               context={"actor": actor, "members": [user], "count": 1, "grants": 0})
    return role


def _membership(contract: Contract, user, *, lock: bool = False) -> ContractRole | None:
    rows = ContractRole.objects.filter(contract=contract, user=user, role=MEMBER)
    if lock:
        rows = rows.select_for_update()
    return rows.first()


def _revoke_locked(actor, grant: AccessGrant) -> None:
    before = grant.status
    grant.revoke()
    grant.revoked_at, grant.revoked_by = clock.now(), actor
    grant.save(update_fields=["status", "revoked_at", "revoked_by", "updated_at"])
    audit.record(actor, "access.revoked", grant,
                 f"Revoked {grant.user.full_name}'s access to {grant.service.name}",
                 contract=grant.contract, before={"status": before},
                 after=_grant_snapshot(grant))


@transaction.atomic
def remove_user(actor, contract: Contract, user) -> list[AccessGrant]:
    """Revoke every live grant the person holds on the contract and take them off the
    roster (their grants stay, revoked, as history)."""
    require(actor, Action.MANAGE_ROSTER, contract)
    role = _membership(contract, user, lock=True)
    if role is None:
        raise AccessError(f"{user.full_name} is not on this contract's roster.")
    grants = list(AccessGrant.objects.select_for_update().filter(
        contract=contract, user=user, status__in=LIVE
    ).select_related("user", "service", "contract"))
    for grant in grants:
        _revoke_locked(actor, grant)
    audit.record(actor, "access.user_removed", role,
                 f"Removed {user.full_name} from the roster", contract=contract,
                 before={"user": user.email, "role": MEMBER},
                 after={"revoked_grants": [g.pk for g in grants]})
    role_pk = role.pk
    role.delete()
    if grants:
        email_access_changed(actor, contract, grants, key=f"roster-removed:{role_pk}")
    return grants


# --- Grants -----------------------------------------------------------------------------


def _dua_check(contract: Contract, service: Service, refusal: str) -> None:
    if service.requires_dua and valid_dua(contract, clock.today(), service) is None:
        raise AccessError(refusal.format(service=service.name))


@transaction.atomic
def grant(actor, contract: Contract, user, service: Service) -> AccessGrant:
    """Ask for the person's access to one of the contract's approved services."""
    require(actor, Action.MANAGE_ROSTER, contract)
    _open(contract)
    _onboarding_stands(contract)
    if _membership(contract, user, lock=True) is None:
        raise AccessError(f"{user.full_name} is not on this contract's roster: add them first.")
    if not ContractService.objects.filter(
        contract=contract, service=service, status=ContractService.Status.APPROVED
    ).exists():
        raise AccessError(
            f"{service.name} is not an approved service on this contract: you can grant "
            "only the contract's approved services."
        )
    if AccessGrant.objects.filter(contract=contract, user=user, service=service,
                                  status__in=LIVE).exists():
        raise AccessError(f"{user.full_name} already has access to {service.name} "
                          "(requested, active or paused).")
    _dua_check(contract, service, DUA_REFUSAL)
    try:
        with transaction.atomic():
            created = AccessGrant.objects.create(
                contract=contract, user=user, service=service, status=GrantStatus.REQUESTED,
                eua_job_code=service.eua_job_code, requested_by=actor,
                requested_at=clock.now(),
            )
    except IntegrityError as error:
        raise AccessError(f"{user.full_name} already has access to {service.name}.") from error
    audit.record(actor, "access.requested", created,
                 f"Requested {user.full_name}'s access to {service.name}", contract=contract,
                 after=_grant_snapshot(created))
    email_access_changed(actor, contract, [created], key=f"grant:{created.pk}:requested")
    return created


def _locked_grant(grant: AccessGrant) -> AccessGrant:
    return AccessGrant.objects.select_for_update().select_related(
        "contract", "user", "service"
    ).get(pk=grant.pk)


def may_confirm(actor, grant: AccessGrant, roles=None) -> bool:
    """The onboarding team confirms any grant; a service lead only their service's."""
    roles = permissions.roles_on(actor, grant.contract) if roles is None else roles
    if permissions.ONBOARDING_TEAM in roles:
        return True
    return (bool(roles & permissions.RULES[Action.CONFIRM_ACCESS])
            and grant.service_id in permissions.led_service_ids(actor))


@transaction.atomic
def confirm(actor, grant: AccessGrant) -> AccessGrant:
    """The agency side confirms the access was provisioned: requested → active."""
    grant = _locked_grant(grant)
    if not may_confirm(actor, grant):
        raise NotAllowed("Only the onboarding team or a lead of this service can confirm it.")
    if not can_proceed(grant.activate):
        raise AccessError(f"This access is {grant.get_status_display().lower()}: only a "
                          "requested access can be confirmed. Nothing was changed.")
    _onboarding_stands(grant.contract)
    _dua_check(grant.contract, grant.service,
               "You cannot confirm {service} while the contract's Data Use Agreement is "
               "not valid.")
    before = grant.status
    grant.activate()
    grant.activated_at = clock.now()
    grant.save(update_fields=["status", "activated_at", "updated_at"])
    audit.record(actor, "access.confirmed",
                 grant, f"Confirmed {grant.user.full_name}'s access to {grant.service.name}",
                 contract=grant.contract, before={"status": before},
                 after=_grant_snapshot(grant))
    email_access_changed(actor, grant.contract, [grant], key=f"grant:{grant.pk}:active")
    return grant


@transaction.atomic
def revoke(actor, grant: AccessGrant) -> AccessGrant:
    grant = _locked_grant(grant)
    require(actor, Action.MANAGE_ROSTER, grant.contract)
    if not can_proceed(grant.revoke):
        raise AccessError("This access is already revoked. Nothing was changed.")
    _revoke_locked(actor, grant)
    email_access_changed(actor, grant.contract, [grant], key=f"grant:{grant.pk}:revoked")
    return grant


# --- CSV import -------------------------------------------------------------------------

STORED_FIELDS = ("line", "full_name", "email", "harp_id", "services", "errors", "parse_errors")


def _stored(row: dict) -> dict:
    return {name: row.get(name) for name in STORED_FIELDS}


@transaction.atomic
def start_import(actor, contract: Contract, *, filename: str, rows: list[dict]) -> RosterImport:
    """Check every parsed row and keep the file for its preview; no one is added yet."""
    require(actor, Action.MANAGE_ROSTER, contract)
    _open(contract)
    for row in rows:
        row["parse_errors"] = row.pop("errors", [])
    check_rows(contract, rows)
    stored = [_stored(r) for r in rows]
    errors = sum(1 for r in stored if r["errors"])
    roster_import = RosterImport.objects.create(
        contract=contract, filename=filename[:NAME_MAX], rows=stored, error_count=errors,
        uploaded_by=actor, uploaded_at=clock.now(),
    )
    audit.record(actor, "access.import_uploaded", roster_import,
                 f"Uploaded {roster_import.filename}: {len(stored)} row(s), "
                 f"{errors} with errors", contract=contract,
                 after={"rows": len(stored), "rows_with_errors": errors})
    return roster_import


@dataclass
class ImportResult:
    imported: int = 0
    created_users: int = 0
    grants: int = 0
    errors: int = 0


def _pending(contract: Contract, pk: int) -> RosterImport:
    roster_import = RosterImport.objects.select_for_update().get(pk=pk, contract=contract)
    if roster_import.status != RosterImport.Status.PREVIEW:
        raise AccessError(
            f"This file was already {roster_import.get_status_display().lower()}. Nothing "
            "was changed."
        )
    return roster_import


@transaction.atomic
def confirm_import(actor, roster_import: RosterImport) -> ImportResult:
    """Add every row of a previewed file, all at once, or none.

    The rows are checked again (someone may have been added since the preview); if any
    fails, nothing is saved and the preview shows the new errors."""
    contract = roster_import.contract
    require(actor, Action.MANAGE_ROSTER, contract)
    _open(contract)
    roster_import = _pending(contract, roster_import.pk)
    rows = [dict(r) for r in roster_import.rows]
    check_rows(contract, rows)
    errors = sum(1 for r in rows if r["errors"])
    if errors:  # nothing is added; the preview shows what is wrong now
        RosterImport.objects.filter(pk=roster_import.pk).update(
            rows=[_stored(r) for r in rows], error_count=errors,
        )
        return ImportResult(errors=errors)
    if any(row["_services"] for row in rows):
        _onboarding_stands(contract)
    return _import_rows(actor, contract, roster_import, rows)


def _import_rows(actor, contract, roster_import, rows) -> ImportResult:
    now = clock.now()
    password = make_password(None)  # unusable: these people sign in another way
    new_users = [
        User(email=r["email"], full_name=r["full_name"], harp_id=r["harp_id"],
             password=password, date_joined=now)
        for r in rows if r["_user_id"] is None
    ]
    User.objects.bulk_create(new_users, batch_size=2000)
    if new_users and new_users[0].pk is None:  # a backend that cannot return ids
        ids = {}
        for chunk in _chunks([u.email for u in new_users]):
            ids.update(User.objects.filter(email__in=chunk).values_list("email", "pk"))
        for user in new_users:
            user.pk = user.id = ids[user.email]
    user_ids = {u.email: u.pk for u in new_users}
    # People already in Muster without a HARP ID get the one in the file.
    fill = {pk: r["harp_id"] for r in rows if (pk := r["_user_id"]) is not None}
    if fill:
        blank = []
        for chunk in _chunks(sorted(fill)):
            blank += list(User.objects.filter(pk__in=chunk, harp_id="").only("pk", "harp_id"))
        for user in blank:
            user.harp_id = fill[user.pk]
        User.objects.bulk_update(blank, ["harp_id"], batch_size=2000)
    for row in rows:
        row["_user_id"] = row["_user_id"] or user_ids[row["email"]]
    roles = [ContractRole(user_id=r["_user_id"], contract=contract, role=MEMBER,
                          assigned_at=now) for r in rows]
    ContractRole.objects.bulk_create(roles, batch_size=2000)
    grants = [
        AccessGrant(contract=contract, user_id=r["_user_id"], service=service,
                    status=GrantStatus.REQUESTED, eua_job_code=service.eua_job_code,
                    requested_by=actor, requested_at=now)
        for r in rows for service in r["_services"]
    ]
    AccessGrant.objects.bulk_create(grants, batch_size=2000)
    RosterImport.objects.filter(pk=roster_import.pk).update(
        status=RosterImport.Status.IMPORTED, imported_at=now,
    )
    _audit_import(actor, contract, roster_import, rows, roles, grants, new_users)
    to, cc = _so_and_spoc(contract)
    mail.queue(
        "user_added", to=to, cc=cc, contract=contract, key=f"roster-import:{roster_import.pk}",
        context={"actor": actor, "count": len(rows), "grants": len(grants),
                 "filename": roster_import.filename,
                 "members": [{"full_name": r["full_name"], "email": r["email"]}
                             for r in rows[:20]], "more": max(len(rows) - 20, 0)},
    )
    return ImportResult(imported=len(rows), created_users=len(new_users), grants=len(grants))


def _audit_import(actor, contract, roster_import, rows, roles, grants, new_users) -> None:
    """One event for the file, then one per person added, naming the access requested for
    them (an event per grant too would double the import's time for no new fact)."""
    by_user = defaultdict(list)
    for grant in grants:
        by_user[grant.user_id].append(grant)
    by_id = {r["_user_id"]: r for r in rows}
    new_ids = {u.pk for u in new_users}
    entries = [(
        "access.import_confirmed", "access.rosterimport", roster_import.pk,
        str(roster_import.filename),
        f"Imported {len(rows)} user(s) from {roster_import.filename} "
        f"({len(new_users)} new to Muster, {len(grants)} access request(s))",
        {"rows": len(rows), "new_users": len(new_users), "grants": len(grants)},
    )]
    for role in roles:
        row = by_id[role.user_id]
        requested = by_user.get(role.user_id, [])
        names = ", ".join(g.service.name for g in requested)
        entries.append((
            "access.user_added", "accounts.contractrole", role.pk,
            f"{row['full_name']} — Contractor user on {contract}",
            f"Added {row['full_name']} to the roster (import line {row['line']})"
            + (f"; requested access to {names}" if names else ""),
            {"user": row["email"], "harp_id": row["harp_id"], "import": roster_import.pk,
             "new_user": role.user_id in new_ids,
             "requested": [{"grant": g.pk, "service": g.service.slug, "status": g.status,
                            "eua_job_code": g.eua_job_code} for g in requested]},
        ))
    audit.record_many(actor, contract, entries)


@transaction.atomic
def discard_import(actor, roster_import: RosterImport) -> RosterImport:
    contract = roster_import.contract
    require(actor, Action.MANAGE_ROSTER, contract)
    roster_import = _pending(contract, roster_import.pk)
    roster_import.status = RosterImport.Status.DISCARDED
    roster_import.save(update_fields=["status"])
    audit.record(actor, "access.import_discarded", roster_import,
                 f"Discarded {roster_import.filename}", contract=contract,
                 after={"status": roster_import.status})
    return roster_import
