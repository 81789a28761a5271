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
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.text import get_valid_filename

from muster import clock
from muster.accounts import permissions
from muster.accounts.permissions import Action
from muster.audit import services as audit
from muster.catalog.models import Service
from muster.contracts.models import Contract, ContractService, DataUseAgreement
from muster.errors import DomainError, NotAllowed
from muster.notifications import services as mail
from muster.uploads import validate_pdf

from .models import AccessGrant, GrantStatus, PauseReason

__all__ = [
    "DuaError", "DuaStatus", "Lapse", "dua_status", "invalidate_dua",
    "pause_lapsed", "upload_dua", "valid_dua",
]

# Grants that give (or are about to give) access: these pause when the DUA lapses.
LIVE = (GrantStatus.ACTIVE, GrantStatus.REQUESTED)
EXPIRING_SOON_DAYS = 30


class DuaError(DomainError):
    """An upload or invalidation that cannot be done; the message says why. `field` names
    the form field the problem belongs to, when there is one."""


def valid_dua(contract: Contract, day: datetime.date, service=None) -> DataUseAgreement | None:
    """The contract's DUA valid on `day` (covering `service`, when the DUA names the
    services it covers), or None."""
    for dua in contract.duas.filter(invalidated_at__isnull=True, expiry_date__gte=day).order_by(
        "-expiry_date"
    ):
        if not dua.is_valid_on(day):
            continue
        covered = set(dua.services.values_list("pk", flat=True))
        if service is None or not covered or service.pk in covered:
            return dua
    return None


# --- Shared pieces ---------------------------------------------------------------------


def _valid_on(day: datetime.date) -> Q:
    return Q(invalidated_at__isnull=True, expiry_date__gte=day) & (
        Q(effective_date__isnull=True) | Q(effective_date__lte=day)
    )


def _uncovered(grants: QuerySet, day: datetime.date) -> QuerySet:
    """The grants on DUA-requiring services that no DUA valid on `day` covers (a DUA that
    names no services covers them all)."""
    covering = DataUseAgreement.objects.filter(_valid_on(day), contract=OuterRef("contract"))
    covering = covering.filter(Q(services=None) | Q(services=OuterRef("service")))
    return grants.filter(service__requires_dua=True).exclude(Exists(covering))


def _lock_contract(contract: Contract) -> Contract:
    return Contract.objects.select_for_update().get(pk=contract.pk)


def _recipients(contract: Contract) -> tuple[list, list]:
    """The SO and COR (to), the SPOC (copied: notified with the SO)."""
    roles = list(contract.roles.filter(role__in=["so", "cor", "spoc"]).select_related("user"))
    to = [r.user for r in roles if r.role in ("so", "cor") and r.user.is_active]
    cc = [r.user for r in roles if r.role == "spoc" and r.user.is_active]
    return to, cc


def _require(actor, action: Action, contract: Contract) -> None:
    if actor is not None and not permissions.can(actor, action, contract):
        raise NotAllowed("Your role on this contract does not allow that.")


def _grant_list(grants) -> list[AccessGrant]:
    return sorted(grants, key=lambda g: (g.user.full_name.lower(), g.service.order, g.pk))


def _pause(actor, contract: Contract, day: datetime.date, why: str) -> list[AccessGrant]:
    """Pause every live grant of the (locked) contract that no valid DUA covers."""
    now = clock.now()
    grants = _uncovered(
        AccessGrant.objects.filter(contract=contract, status__in=LIVE), day
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
    contract = _lock_contract(contract)
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
    contract = _lock_contract(dua.contract)
    dua = DataUseAgreement.objects.select_for_update().get(pk=dua.pk)
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
    uncovered = _uncovered(
        AccessGrant.objects.filter(contract=OuterRef("pk"), status__in=LIVE), day
    )
    expired = DataUseAgreement.objects.filter(contract=OuterRef("pk"), expiry_date__lt=day)
    return Contract.objects.filter(Exists(uncovered), Exists(expired)).order_by("pk")


def pause_lapsed(day: datetime.date) -> list[Lapse]:
    """Pause the grants of every contract whose DUA expired by `day` (its expiry date is
    before `day` and no other valid DUA covers them), emailing the SO and COR once per
    lapsed DUA. Running it again pauses and emails nothing more."""
    lapses = []
    for pk in lapsed_contracts(day).values_list("pk", flat=True):
        with transaction.atomic():
            contract = Contract.objects.select_for_update().get(pk=pk)
            dua = contract.duas.filter(expiry_date__lt=day).order_by(
                "-expiry_date", "-uploaded_at").first()
            if dua is None:  # changed since the query
                continue
            why = f"DUA {dua.number} expired on {dua.expiry_date:%B %-d, %Y}"
            paused = _pause(None, contract, day, why)
            if paused:
                _email_lapsed(contract, dua, "expired", paused)
                lapses.append(Lapse(contract, dua, paused))
    return lapses


# --- For pages -------------------------------------------------------------------------


@dataclass(frozen=True)
class DuaStatus:
    state: str  # valid, expiring soon, expired, invalid, not in effect yet, missing, not needed
    dua: DataUseAgreement | None  # the valid DUA, else the latest uploaded
    days_to_expiry: int | None  # negative once expired
    paused_for_dua: int  # grants paused because the DUA lapsed
    paused: int  # every paused grant
    needed: bool

    @property
    def number(self) -> str:
        return self.dua.number if self.dua else ""

    @property
    def expiry_date(self) -> datetime.date | None:
        return self.dua.expiry_date if self.dua else None

    @property
    def days_since_expiry(self) -> int | None:
        return -self.days_to_expiry if self.days_to_expiry is not None else None

    @property
    def problem(self) -> bool:
        return self.needed and self.state not in ("valid", "expiring soon")


def dua_status(contract: Contract, day: datetime.date) -> DuaStatus:
    needed = ContractService.objects.filter(
        contract=contract, service__requires_dua=True,
        status__in=[ContractService.Status.APPROVED, ContractService.Status.REQUESTED],
    ).exists()
    dua = valid_dua(contract, day)
    if dua is None:
        dua = contract.duas.order_by("-uploaded_at", "-pk").first()
    counts = AccessGrant.objects.filter(contract=contract, status=GrantStatus.PAUSED).aggregate(
        total=Count("pk"), for_dua=Count("pk", filter=Q(pause_reason=PauseReason.DUA_LAPSED)),
    )
    days = (dua.expiry_date - day).days if dua else None
    if not needed:
        state = "not needed"
    elif dua is None:
        state = "missing"
    elif dua.invalidated_at is not None:
        state = "invalid"
    elif dua.expiry_date < day:
        state = "expired"
    elif not dua.is_valid_on(day):
        state = "not in effect yet"
    elif days <= EXPIRING_SOON_DAYS:
        state = "expiring soon"
    else:
        state = "valid"
    return DuaStatus(state=state, dua=dua, days_to_expiry=days, paused_for_dua=counts["for_dua"],
                     paused=counts["total"], needed=needed)


def dua_services() -> QuerySet:
    """The catalog's services that need a DUA (what an upload may cover)."""
    return Service.objects.filter(requires_dua=True).order_by("order", "name")
