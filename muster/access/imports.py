"""The SO's CSV import: a parsed file's rows are checked and kept for a preview
(`start_import`); confirmed, every row is added at once, or none (`confirm_import`); or the
file is discarded. A file moves preview → imported or preview → discarded, once."""

from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from muster import bulk, clock, workflow
from muster.accounts.models import ContractRole, User
from muster.accounts.permissions import Action
from muster.audit import services as audit
from muster.catalog.models import Service
from muster.contracts.models import Contract
from muster.identity import invitations
from muster.validators import NAME_MAX

from . import emails
from .checking import check_rows, chunks
from .guards import AccessError, onboarding_stands, roster_open
from .models import AccessGrant, GrantStatus, RosterImport
from .queries import MEMBER

STORED_FIELDS = ("line", "full_name", "email", "harp_id", "services", "errors", "parse_errors")


def _stored(row: dict) -> dict:
    return {name: row.get(name) for name in STORED_FIELDS}


@transaction.atomic
def start_import(actor, contract: Contract, *, filename: str, rows: list[dict]) -> RosterImport:
    """Check every parsed row and keep the file for its preview; no one is added yet."""
    workflow.require(actor, Action.MANAGE_ROSTER, contract)
    roster_open(contract)
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


def _pending(roster_import: RosterImport) -> RosterImport:
    """The file again, locked, while it waits for the SO's decision."""
    roster_import = workflow.locked(roster_import)
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
    workflow.require(actor, Action.MANAGE_ROSTER, contract)
    roster_open(contract)
    roster_import = _pending(roster_import)
    rows = [dict(r) for r in roster_import.rows]
    check_rows(contract, rows)
    errors = sum(1 for r in rows if r["errors"])
    if errors:  # nothing is added; the preview shows what is wrong now
        RosterImport.objects.filter(pk=roster_import.pk).update(
            rows=[_stored(r) for r in rows], error_count=errors,
        )
        return ImportResult(errors=errors)
    if any(row["_services"] for row in rows):
        onboarding_stands(contract)
    return _import_rows(actor, contract, roster_import, rows)


def _import_rows(actor, contract: Contract, roster_import: RosterImport,
                 rows: list[dict]) -> ImportResult:
    """Write everything the rows add. Roles, grants (and, below, the invitations, their
    emails and the audit events) go in as plain rows (muster.bulk): at 10,000 rows,
    bulk_create's work on each instance was most of the import's time."""
    now = clock.now()
    password = make_password(None)  # unusable: these people sign in another way
    new_users = [
        User(email=r["email"], full_name=r["full_name"], harp_id=r["harp_id"],
             password=password, date_joined=now)
        for r in rows if r["_user_id"] is None
    ]
    _insert_users(new_users)
    user_ids = {u.email: u.pk for u in new_users}
    # People already in Muster without a HARP ID get the one in the file.
    fill = {pk: r["harp_id"] for r in rows if (pk := r["_user_id"]) is not None}
    if fill:
        blank: list[User] = []
        for chunk in chunks(sorted(fill)):
            blank += list(User.objects.filter(pk__in=chunk, harp_id="").only("pk", "harp_id"))
        for user in blank:
            user.harp_id = fill[user.pk]
        User.objects.bulk_update(blank, ["harp_id"], batch_size=2000)
    for row in rows:
        row["_user_id"] = row["_user_id"] or user_ids[row["email"]]
    role_ids = bulk.insert(ContractRole, ("user_id", "contract_id", "role", "assigned_at"),
                           [(r["_user_id"], contract.pk, MEMBER, now) for r in rows])
    requested = [(r["_user_id"], service) for r in rows for service in r["_services"]]
    actor_id = actor.pk  # once: request.user is a lazy object
    grant_ids = bulk.insert(
        AccessGrant,
        ("contract_id", "user_id", "service_id", "status", "eua_job_code", "requested_by_id",
         "requested_at", "updated_at"),
        [(contract.pk, user_id, service.pk, GrantStatus.REQUESTED, service.eua_job_code,
          actor_id, now, now) for user_id, service in requested],
    )
    grants = [Requested(pk, user_id, service)
              for pk, (user_id, service) in zip(grant_ids, requested, strict=True)]
    roster_import.mark_imported(now)
    roster_import.save(update_fields=["status", "imported_at"])
    _audit_import(actor, contract, roster_import, rows, role_ids, grants, new_users)
    _invite(actor, contract, new_users, list(fill))
    emails.users_added(
        actor, contract, f"roster-import:{roster_import.pk}",
        count=len(rows), grants=len(grants), filename=roster_import.filename,
        members=[{"full_name": r["full_name"], "email": r["email"]} for r in rows[:20]],
        more=max(len(rows) - 20, 0),
    )
    return ImportResult(imported=len(rows), created_users=len(new_users), grants=len(grants))


@dataclass(frozen=True)
class Requested:
    """An access grant the import requested: what its audit event names."""

    pk: int
    user_id: int
    service: Service
    status: str = GrantStatus.REQUESTED

    @property
    def eua_job_code(self) -> str:
        return self.service.eua_job_code


# The users' columns written by an import (the others take their defaults).
_USER_COLUMNS = ("email", "full_name", "harp_id", "password", "date_joined")


def _insert_users(new_users: list[User]) -> None:
    """Write the new people; each instance gets its id and counts as saved."""
    ids = bulk.insert(User, _USER_COLUMNS,
                      [tuple(getattr(u, name) for name in _USER_COLUMNS) for u in new_users])
    for user, pk in zip(new_users, ids, strict=True):
        user.pk = pk
        user._state.adding = False
        user._state.db = connection.alias


def _invite(actor, contract: Contract, new_users: list[User], known_ids: list[int]) -> None:
    """Everyone the file named gets an invitation if they cannot sign in yet: the new
    people without reading anything, those already in Muster a chunk at a time."""
    invitations.people_named(actor, new=new_users, known_ids=known_ids, contract=contract,
                             as_what=invitations.as_role(MEMBER))


def _audit_import(actor, contract, roster_import, rows, role_ids: list[int],
                  grants: list[Requested], new_users) -> None:
    """One event for the file, then one per person added, naming the access requested for
    them (an event per grant too would double the import's time for no new fact)."""
    by_user = defaultdict(list)
    for grant in grants:
        by_user[grant.user_id].append(grant)
    new_ids = {u.pk for u in new_users}
    entries: list[tuple] = [(
        "access.import_confirmed", "access.rosterimport", roster_import.pk,
        str(roster_import.filename),
        f"Imported {len(rows)} user(s) from {roster_import.filename} "
        f"({len(new_users)} new to Muster, {len(grants)} access request(s))",
        {"rows": len(rows), "new_users": len(new_users), "grants": len(grants)},
    )]
    on_contract = f" — Contractor user on {contract}"
    for row, role_id in zip(rows, role_ids, strict=True):  # a role per row, in order
        user_id = row["_user_id"]
        requested = by_user.get(user_id, [])
        names = ", ".join(g.service.name for g in requested)
        entries.append((
            "access.user_added", "accounts.contractrole", role_id,
            f"{row['full_name']}{on_contract}",
            f"Added {row['full_name']} to the roster (import line {row['line']})"
            + (f"; requested access to {names}" if names else ""),
            {"user": row["email"], "harp_id": row["harp_id"], "import": roster_import.pk,
             "new_user": user_id in new_ids,
             "requested": [{"grant": g.pk, "service": g.service.slug, "status": g.status,
                            "eua_job_code": g.eua_job_code} for g in requested]},
        ))
    audit.record_many(actor, contract, entries)


@transaction.atomic
def discard_import(actor, roster_import: RosterImport) -> RosterImport:
    contract = roster_import.contract
    workflow.require(actor, Action.MANAGE_ROSTER, contract)
    roster_import = _pending(roster_import)
    roster_import.discard()
    roster_import.save(update_fields=["status"])
    audit.record(actor, "access.import_discarded", roster_import,
                 f"Discarded {roster_import.filename}", contract=contract,
                 after={"status": roster_import.status})
    return roster_import
