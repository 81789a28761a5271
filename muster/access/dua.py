"""Data Use Agreements and the access that depends on them.

A service that requires a DUA (SAS Viya) is usable only while the contract holds a valid
one covering it: in effect, not expired, not marked invalid. When it lapses (expires, or
is marked invalid) every live grant on such a service pauses at once, with pause reason
DUA_LAPSED; uploading a new valid DUA resumes exactly those grants. Each function is one
transaction that locks the contract first (so an upload and a lapse never interleave),
records the change and queues its email.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.text import get_valid_filename

from muster import clock, workflow
from muster.accounts.models import ContractRole
from muster.accounts.permissions import Action
from muster.audit import services as audit
from muster.compiled import Compiled
from muster.contracts.models import Contract, DataUseAgreement
from muster.errors import DomainError
from muster.notifications import services as mail
from muster.uploads import validate_pdf

from .models import AccessGrant, GrantStatus, PauseReason

__all__ = [
    "DuaError", "Lapse", "invalidate_dua", "lapsed_contracts", "pause_lapsed", "recipients_of",
    "uncovered_grants", "upload_dua", "valid_dua",
]

# Grants that give (or are about to give) access: these pause when the DUA lapses.
PAUSED_BY_A_LAPSE = (GrantStatus.ACTIVE, GrantStatus.REQUESTED)


class DuaError(DomainError):
    """An upload or invalidation that cannot be done; the message says why. `field` names
    the form field the problem belongs to, when there is one."""


# What valid_dua reads (pages ask it on every visit: the roster, a grant's checks): queries
# built once per process.
_UNEXPIRED = Compiled(
    lambda contract_id, day: DataUseAgreement.objects.filter(
        contract_id=contract_id, invalidated_at__isnull=True, expiry_date__gte=day,
    ).order_by("-expiry_date"),
    contract_id=int, day=datetime.date,
)
_COVERED = Compiled(
    lambda dua_id: DataUseAgreement.services.through.objects.filter(datauseagreement_id=dua_id)
    .values_list("service_id"),
    dua_id=int,
)


def valid_dua(contract: Contract, day: datetime.date, service=None) -> DataUseAgreement | None:
    """The contract's DUA valid on `day` (covering `service`, when the DUA names the
    services it covers), or None."""
    duas: list[DataUseAgreement] = _UNEXPIRED.objects(  # type: ignore[assignment]
        contract_id=contract.pk, day=day)
    for dua in duas:
        if not dua.is_valid_on(day):
            continue
        covered = {service_id for (service_id,) in _COVERED.rows(dua_id=dua.pk)}
        if service is None or not covered or service.pk in covered:
            dua.contract = contract  # as contract.duas gives it
            return dua
    return None


# --- Shared pieces ---------------------------------------------------------------------


def _valid_on(day: datetime.date) -> Q:
    return Q(invalidated_at__isnull=True, expiry_date__gte=day) & (
        Q(effective_date__isnull=True) | Q(effective_date__lte=day)
    )


def uncovered_grants(grants: QuerySet, day: datetime.date) -> QuerySet:
    """The grants on DUA-requiring services that no DUA valid on `day` covers (a DUA that
    names no services covers them all)."""
    covering = DataUseAgreement.objects.filter(_valid_on(day), contract=OuterRef("contract"))
    covering = covering.filter(Q(services=None) | Q(services=OuterRef("service")))
    return grants.filter(service__requires_dua=True).exclude(Exists(covering))


def _recipients(contract: Contract) -> tuple[list, list]:
    """The SO and COR (to), the SPOC (copied: notified with the SO); active people only."""
    SO, COR, SPOC = ContractRole.Role.SO, ContractRole.Role.COR, ContractRole.Role.SPOC
    parties = workflow.RoleHolders(contract, SO, COR, SPOC)
    to, cc = parties.people(SO, COR), parties.people(SPOC)
    return [u for u in to if u.is_active], [u for u in cc if u.is_active]


def _require(actor, action: Action, contract: Contract) -> None:
    """A person's role (the daily check, acting for no one, passes `None`)."""
    if actor is not None:
        workflow.require(actor, action, contract)


def _grant_list(grants) -> list[AccessGrant]:
    return sorted(grants, key=lambda g: (g.user.full_name.lower(), g.service.order, g.pk))


def _pause(actor, contract: Contract, day: datetime.date, why: str) -> list[AccessGrant]:
    """Pause every live grant of the (locked) contract that no valid DUA covers."""
    now = clock.now()
    grants = uncovered_grants(
        AccessGrant.objects.filter(contract=contract, status__in=PAUSED_BY_A_LAPSE), day
    ).select_related("user", "service").select_for_update(of=("self",))
    paused = []
    for grant in grants:
        before = grant.status
        grant.pause()
        grant.pause_reason, grant.paused_at = PauseReason.DUA_LAPSED, now
        grant.save(update_fields=["status", "pause_reason", "paused_at", "updated_at"])
        audit.record(
            actor, "access.grant_paused", grant,
            f"Paused {grant.service} for {grant.user.full_name}: {why}", contract=contract,
            before={"status": before},
            after={"status": grant.status, "pause_reason": grant.pause_reason},
        )
        paused.append(grant)
    return _grant_list(paused)


def _email_lapsed(contract: Contract, dua: DataUseAgreement, cause: str, paused, actor=None):
    to, cc = _recipients(contract)
    mail.queue(
        "dua_lapsed", to=to, cc=cc, contract=contract,
        key=f"dua_lapsed:{contract.pk}:{dua.pk}:{cause}",
        context={"dua": dua, "cause": cause, "grants": paused, "actor": actor},
    )


# --- Upload ----------------------------------------------------------------------------


def _check_upload(number, effective_date, expiry_date, document, services, today) -> list:
    number = (number or "").strip()
    if not number:
        raise DuaError("Give the DUA number.", "number")
    if expiry_date is None:
        raise DuaError("Give the date the DUA expires.", "expiry_date")
    if expiry_date < today:
        raise DuaError("This DUA has already expired: upload the current one.", "expiry_date")
    if effective_date and expiry_date <= effective_date:
        raise DuaError("The DUA must expire after it takes effect.", "expiry_date")
    if not document:
        raise DuaError("Choose the signed DUA (a PDF).", "document")
    try:
        validate_pdf(document)
    except ValidationError as error:
        raise DuaError(" ".join(error.messages), "document") from error
    services = list(services or [])
    if not services:
        raise DuaError("Choose the services this DUA covers.", "services")
    wrong = [s.name for s in services if not s.requires_dua]
    if wrong:
        raise DuaError(f"{', '.join(wrong)} does not need a DUA: choose only services "
                       "that do.", "services")
    return services


@transaction.atomic
def upload_dua(
    actor, contract: Contract, *, number: str, effective_date: datetime.date | None,
    expiry_date: datetime.date, document, services,
) -> tuple[DataUseAgreement, list[AccessGrant]]:
    """Store a new DUA (earlier ones are kept). If the contract's DUA becomes valid again
    for the services it covers, resume the grants paused because it had lapsed. Returns
    the DUA and the grants resumed."""
    _require(actor, Action.UPLOAD_DUA, contract)
    today, now = clock.today(), clock.now()
    services = _check_upload(number, effective_date, expiry_date, document, services, today)
    contract = workflow.locked(contract)
    waiting = AccessGrant.objects.filter(
        contract=contract, status=GrantStatus.PAUSED, pause_reason=PauseReason.DUA_LAPSED,
    )
    covered_before = {s.pk for s in services if valid_dua(contract, today, s)}

    number = number.strip()
    dua = DataUseAgreement(
        contract=contract, number=number, effective_date=effective_date,
        expiry_date=expiry_date, uploaded_by=actor, uploaded_at=now,
    )
    dua.document.save(f"{get_valid_filename(number) or 'dua'}.pdf", document, save=False)
    dua.save()
    dua.services.set(services)
    audit.record(
        actor, "access.dua_uploaded", dua, f"Uploaded DUA {number}", contract=contract,
        after={"number": number, "effective_date": effective_date,
               "expiry_date": expiry_date, "document": dua.document.name,
               "services": sorted(s.name for s in services)},
    )

    resumed = []
    if dua.is_valid_on(today):
        grants = waiting.filter(service__in=services).select_related("user", "service")
        for grant in grants.select_for_update(of=("self",)):
            grant.resume()
            grant.pause_reason = ""
            grant.save(update_fields=["status", "pause_reason", "updated_at"])
            audit.record(
                actor, "access.grant_resumed", grant,
                f"Resumed {grant.service} for {grant.user.full_name}: DUA {number} is valid",
                contract=contract,
                before={"status": GrantStatus.PAUSED, "pause_reason": PauseReason.DUA_LAPSED},
                after={"status": grant.status, "pause_reason": ""},
            )
            resumed.append(grant)
        renewed = {s.pk for s in services} - covered_before
        if resumed or renewed:
            to, cc = _recipients(contract)
            mail.queue(
                "dua_renewed", to=to, cc=cc, contract=contract, key=f"dua_renewed:{dua.pk}",
                context={"dua": dua, "actor": actor, "grants": _grant_list(resumed),
                         "services": sorted(services, key=lambda s: (s.order, s.name))},
            )
    return dua, _grant_list(resumed)


# --- Invalidation ----------------------------------------------------------------------


@transaction.atomic
def invalidate_dua(actor, dua: DataUseAgreement, reason: str) -> list[AccessGrant]:
    """Mark the DUA invalid; every live grant it covered that no other valid DUA covers
    pauses at once. Returns the grants paused."""
    _require(actor, Action.INVALIDATE_DUA, dua.contract)
    reason = (reason or "").strip()
    if not reason:
        raise DuaError("Say why this DUA is not valid.", "reason")
    contract = workflow.locked(dua.contract)
    dua = workflow.locked(dua)
    if dua.invalidated_at is not None:
        raise DuaError(f"DUA {dua.number} was already marked invalid. Nothing was changed.")
    dua.invalidated_at, dua.invalidated_by, dua.invalidated_reason = (
        clock.now(), actor, reason
    )
    dua.save(update_fields=["invalidated_at", "invalidated_by", "invalidated_reason"])
    audit.record(
        actor, "access.dua_invalidated", dua, f"Marked DUA {dua.number} invalid: {reason}",
        contract=contract, before={"invalidated_at": None},
        after={"invalidated_at": dua.invalidated_at, "invalidated_reason": reason},
    )
    paused = _pause(actor, contract, clock.today(), f"DUA {dua.number} was marked invalid")
    _email_lapsed(contract, dua, "invalidated", paused, actor)
    return paused


# --- The daily check -------------------------------------------------------------------


@dataclass(frozen=True)
class Lapse:
    contract: Contract
    dua: DataUseAgreement
    grants: list[AccessGrant]


def lapsed_contracts(day: datetime.date) -> QuerySet:
    """Contracts with live grants on DUA-requiring services that no valid DUA covers on
    `day`, and a DUA that expired before `day`: one query, through the indexed expiry
    date and the grants' (contract, status) index."""
    uncovered = uncovered_grants(
        AccessGrant.objects.filter(contract=OuterRef("pk"), status__in=PAUSED_BY_A_LAPSE), day
    )
    expired = DataUseAgreement.objects.filter(contract=OuterRef("pk"), expiry_date__lt=day)
    return Contract.objects.filter(Exists(uncovered), Exists(expired)).order_by("pk")


def pause_lapsed(day: datetime.date) -> list[Lapse]:
    """Pause the grants of every contract whose DUA expired by `day` (its expiry date is
    before `day` and no other valid DUA covers them), emailing the SO and COR once per
    lapsed DUA. Running it again pauses and emails nothing more.

    In batches of LAPSE_BATCH contracts, each one transaction that locks them and does for
    them all at once what _pause does for one (the same changes, events and emails)."""
    pks = list(lapsed_contracts(day).values_list("pk", flat=True))
    lapses: list[Lapse] = []
    for start in range(0, len(pks), LAPSE_BATCH):
        lapses += _pause_lapsed_batch(pks[start:start + LAPSE_BATCH], day)
    return lapses


LAPSE_BATCH = 100


def recipients_of(contracts) -> dict[int, tuple[list, list]]:
    """_recipients for many contracts, in one query: {contract pk: (to, cc)}."""
    SO, COR, SPOC = ContractRole.Role.SO, ContractRole.Role.COR, ContractRole.Role.SPOC
    holders: dict[int, list[ContractRole]] = {c.pk: [] for c in contracts}
    for role in (ContractRole.objects.filter(contract__in=list(holders), role__in=[SO, COR, SPOC])
                 .select_related("user")):
        holders[role.contract_id].append(role)
    return {pk: ([h.user for h in rows if h.role in (SO, COR) and h.user.is_active],
                 [h.user for h in rows if h.role == SPOC and h.user.is_active])
            for pk, rows in holders.items()}


@transaction.atomic
def _pause_lapsed_batch(pks: list[int], day: datetime.date) -> list[Lapse]:
    contracts = list(Contract.objects.select_for_update().filter(pk__in=pks).order_by("pk"))
    duas: dict[int, DataUseAgreement] = {}
    for dua in (DataUseAgreement.objects.filter(contract__in=contracts, expiry_date__lt=day)
                .order_by("contract", "-expiry_date", "-uploaded_at")):
        duas.setdefault(dua.contract_id, dua)
    contracts = [c for c in contracts if c.pk in duas]  # else changed since the query
    if not contracts:
        return []
    now = clock.now()
    grants: dict[int, list[AccessGrant]] = {c.pk: [] for c in contracts}
    for grant in uncovered_grants(
        AccessGrant.objects.filter(contract__in=contracts, status__in=PAUSED_BY_A_LAPSE), day
    ).select_related("user", "service").select_for_update(of=("self",)):
        grants[grant.contract_id].append(grant)
    before = {}
    for grant in (g for c in contracts for g in grants[c.pk]):
        before[grant.pk] = grant.status
        grant.pause()
        grant.pause_reason, grant.paused_at, grant.updated_at = PauseReason.DUA_LAPSED, now, now
    AccessGrant.objects.filter(pk__in=list(before)).update(
        status=GrantStatus.PAUSED, pause_reason=PauseReason.DUA_LAPSED, paused_at=now,
        updated_at=now)
    lapses = []
    events = []  # appended at once: a day can pause hundreds of grants
    for contract in contracts:
        dua, paused = duas[contract.pk], grants[contract.pk]
        if not paused:
            continue
        why = f"DUA {dua.number} expired on {dua.expiry_date:%B %-d, %Y}"
        events += [
            audit.entry(
                "access.grant_paused", grant,
                f"Paused {grant.service} for {grant.user.full_name}: {why}", contract=contract,
                before={"status": before[grant.pk]},
                after={"status": grant.status, "pause_reason": grant.pause_reason},
            )
            for grant in paused
        ]
        # The lapse itself, once (the pauses above are one event per grant).
        events.append(audit.entry("access.dua_lapsed", dua, f"{why}: access paused",
                                  contract=contract, after={"paused_grants": len(paused)}))
        lapses.append(Lapse(contract, dua, _grant_list(paused)))
    audit.record_many(None, None, events)
    recipients = recipients_of([lapse.contract for lapse in lapses])
    mail.queue_many("dua_lapsed", [
        {"to": recipients[c.pk][0], "cc": recipients[c.pk][1], "contract": c,
         "key": f"dua_lapsed:{c.pk}:{lapse.dua.pk}:expired",
         "context": {"dua": lapse.dua, "cause": "expired", "grants": lapse.grants,
                     "actor": None}}
        for lapse in lapses if (c := lapse.contract)
    ])
    return lapses
