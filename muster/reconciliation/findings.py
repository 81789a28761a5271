"""Reconciliation: every disagreement between what was approved and what is granted.

Six kinds, each ONE query over the live data (select_related, subqueries for what a row
says; never a loop over contracts). A grant can show under more than one kind (a grant
on a closed contract whose service was also taken off, say): each kind has its own fix.

Which grants each kind looks at ("live" differs on purpose):
- unapproved_service: requested, active or paused (a paused grant resumes by itself).
- after_end: requested, active or paused, on a closed contract or after the last day of
  performance (the end of performance revokes them all).
- dua_uncovered: requested or active on a service that needs a DUA, with no valid DUA
  covering it (a paused grant gives no access: that is the lapse working).
- eua_incomplete: requested or active on a service with an EUA job code, held by a
  contractor user whose EUA background check is not "Complete".
- two_contractors: a person on the rosters of running contracts of two contractors
  (closed and withdrawn contracts' rosters do not count).
- unconfirmed: requested more than UNCONFIRMED_GRANT_BUSINESS_DAYS business days ago
  and still not confirmed.

Each finding has a key (kind and ids) that identifies it from one day to the next.
"""

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone

from muster.access import queries as access_queries
from muster.access.dua import uncovered_grants
from muster.access.models import UNREVOKED, AccessGrant, GrantStatus
from muster.accounts.models import ContractRole, User
from muster.catalog.models import Service
from muster.contracts.models import Contract, ContractService, DataUseAgreement, Stage
from muster.timeline import calendar

from .models import KEY_MAX

MEMBER = ContractRole.Role.CONTRACTOR_USER
# Grants that give access now or are about to (a paused one does not).
GIVING = (GrantStatus.ACTIVE, GrantStatus.REQUESTED)
# Contracts whose roster no longer counts for "two contractors".
ENDED = (Stage.CLOSED, Stage.WITHDRAWN)


@dataclass(frozen=True)
class Finding:
    kind: str
    contract: Contract
    person: User | None
    service: Service | None
    grant: AccessGrant | None
    detail: str
    since: datetime.date
    url: str  # where it is fixed
    fix: str  # what to do there

    @property
    def key(self) -> str:
        if self.grant is not None:
            return f"{self.kind}:grant:{self.grant.pk}"[:KEY_MAX]
        person = self.person.pk if self.person is not None else 0
        return f"{self.kind}:contract:{self.contract.pk}:person:{person}"[:KEY_MAX]

    @property
    def label(self) -> str:
        return KINDS[self.kind].label


@dataclass(frozen=True)
class Kind:
    slug: str
    label: str
    meaning: str  # what is counted, said on the page
    query: Callable[[datetime.date], QuerySet]
    row: Callable[[Any, datetime.date], Finding]

    def says(self) -> str:
        return self.meaning.format(days=_waited_days())


def _day_of(moment: datetime.datetime | None) -> datetime.date | None:
    return timezone.localdate(moment) if moment is not None else None


def _start_of(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min,
                                     tzinfo=timezone.get_current_timezone())


def _grants(statuses) -> QuerySet:
    return (AccessGrant.objects.filter(status__in=statuses)
            .select_related("contract", "contract__organization", "user", "service")
            .order_by("contract__name", "contract_id", "user__full_name", "user_id",
                      "service__order", "pk"))


def _member_url(contract_pk: int, user_pk: int) -> str:
    return reverse("access:member", args=[contract_pk, user_pk])


def _grant_finding(kind: str, grant: AccessGrant, detail: str, since, fix: str,
                   url: str | None = None) -> Finding:
    return Finding(kind, grant.contract, grant.user, grant.service, grant, detail, since,
                   url or _member_url(grant.contract_id, grant.user_id), fix)


# --- 1. Grants on services no longer approved for the contract ------------------------


def unapproved_service(day: datetime.date) -> QuerySet:
    approved = ContractService.objects.filter(
        contract=OuterRef("contract"), service=OuterRef("service"),
        status=ContractService.Status.APPROVED)
    decision = ContractService.objects.filter(
        contract=OuterRef("contract"), service=OuterRef("service"))
    return _grants(UNREVOKED).exclude(Exists(approved)).annotate(
        service_status=Subquery(decision.values("status")[:1]),
        service_decided_at=Subquery(decision.values("decided_at")[:1]),
    )


def _unapproved_row(grant, day) -> Finding:
    status = grant.service_status
    said = {ContractService.Status.DENIED: "denied (or taken off)",
            ContractService.Status.REQUESTED: "only requested, not approved"}.get(
        status, "not requested")
    detail = (f"{grant.get_status_display()} access to {grant.service.name}, which is "
              f"{said} on this contract.")
    since = max(filter(None, [_day_of(grant.requested_at), _day_of(grant.service_decided_at)]))
    return _grant_finding("unapproved_service", grant, detail, since,
                          "Revoke the access on the person's page")


# --- 2. Grants live after the end of performance or on a closed contract -------------


def after_end(day: datetime.date) -> QuerySet:
    return _grants(UNREVOKED).filter(
        Q(contract__stage=Stage.CLOSED) | Q(contract__pop_end__lt=day))


def _after_end_row(grant, day) -> Finding:
    contract = grant.contract
    ended = contract.pop_end is not None and contract.pop_end < day
    if ended:
        detail = (f"{grant.get_status_display()} access, but the period of performance "
                  f"ended on {contract.pop_end:%B %-d, %Y}")
        since = contract.pop_end + datetime.timedelta(days=1)
    else:
        detail = f"{grant.get_status_display()} access, but the contract is closed"
        since = _day_of(contract.updated_at) or day
    if ended and contract.stage == Stage.CLOSED:
        detail += " and the contract is closed"
    return _grant_finding("after_end", grant, detail + ".", since,
                          "Revoke the access on the person's page")


# --- 3. DUA services active without a valid DUA --------------------------------------


def dua_uncovered(day: datetime.date) -> QuerySet:
    last_expiry = DataUseAgreement.objects.filter(contract=OuterRef("contract")).order_by(
        "-expiry_date").values("expiry_date")[:1]
    return uncovered_grants(_grants(GIVING), day).annotate(last_expiry=Subquery(last_expiry))


def _dua_row(grant, day) -> Finding:
    granted = _day_of(grant.activated_at or grant.requested_at) or day
    if grant.last_expiry is None:
        detail = "no Data Use Agreement was ever uploaded"
        since = granted
    elif grant.last_expiry < day:
        detail = f"the latest Data Use Agreement expired on {grant.last_expiry:%B %-d, %Y}"
        since = max(granted, grant.last_expiry + datetime.timedelta(days=1))
    else:
        detail = "no Data Use Agreement in effect today covers this service"
        since = granted
    return _grant_finding(
        "dua_uncovered", grant,
        f"{grant.get_status_display()} access to {grant.service.name}, but {detail}.", since,
        "Upload a valid DUA on the contract's DUA page",
        url=reverse("access:dua", args=[grant.contract_id]))


# --- 4. Contractor users whose EUA check is not complete, on services that need EUA ---


def eua_incomplete(day: datetime.date) -> QuerySet:
    member = ContractRole.objects.filter(
        contract=OuterRef("contract"), user=OuterRef("user"), role=MEMBER)
    return access_queries.needing_eua_check(_grants(GIVING)).filter(
        Exists(member.exclude(eua_check=ContractRole.EuaCheck.COMPLETE))
    ).annotate(eua_check=Subquery(member.values("eua_check")[:1]))


def _eua_row(grant, day) -> Finding:
    check = ContractRole.EuaCheck(grant.eua_check).label
    return _grant_finding(
        "eua_incomplete", grant,
        f"{grant.get_status_display()} access to {grant.service.name} (EUA job code "
        f"{grant.service.eua_job_code}), but the EUA background check is “{check}”.",
        _day_of(grant.requested_at) or day,
        "Record the EUA check on the person's page once it is complete, or revoke the "
        "access until then")


# --- 5. A person on the rosters of two different contractors -------------------------


def two_contractors(day: datetime.date) -> QuerySet:
    running = Q(role=MEMBER, contract__organization__isnull=False) & ~Q(
        contract__stage__in=ENDED)
    elsewhere = ContractRole.objects.filter(running, user=OuterRef("user")).exclude(
        contract__organization=OuterRef("contract__organization")).order_by(
        "contract__organization__name", "contract__name")
    return (ContractRole.objects.filter(running).filter(Exists(elsewhere))
            .annotate(other_contractor=Subquery(elsewhere.values("contract__organization__name")[:1]),
                      other_contract=Subquery(elsewhere.values("contract__name")[:1]),
                      other_assigned=Subquery(elsewhere.values("assigned_at")[:1]))
            .select_related("contract", "contract__organization", "user")
            .order_by("contract__name", "contract_id", "user__full_name", "user_id"))


def _two_contractors_row(role, day) -> Finding:
    contract = role.contract
    detail = (f"On the roster of {contract.organization.name} here, and also of "
              f"{role.other_contractor} ({role.other_contract}).")
    since = max(filter(None, [_day_of(role.assigned_at), _day_of(role.other_assigned)]))
    return Finding("two_contractors", contract, role.user, None, None, detail, since,
                   _member_url(contract.pk, role.user_id),
                   "Ask the SO whether the person still works for this contractor")


# --- 6. Grants requested and never confirmed ------------------------------------------


def _waited_days() -> int:
    return settings.UNCONFIRMED_GRANT_BUSINESS_DAYS


def unconfirmed(day: datetime.date) -> QuerySet:
    # More than N business days (business_days_between(requested, day) > N): requested
    # before the N-th business day before the last business day up to today.
    last = day if calendar.is_business_day(day) else calendar.add_business_days(day, -1)
    cutoff = calendar.add_business_days(last, -_waited_days())
    return _grants([GrantStatus.REQUESTED]).filter(requested_at__lt=_start_of(cutoff))


def _unconfirmed_row(grant, day) -> Finding:
    requested = _day_of(grant.requested_at) or day
    waited = calendar.business_days_between(requested, day)
    return _grant_finding(
        "unconfirmed", grant,
        f"Access to {grant.service.name} requested on {requested:%B %-d, %Y}, "
        f"{waited} business days ago, and not confirmed.",
        calendar.add_business_days(requested, _waited_days() + 1),
        "Confirm the access once it is set up, or ask the SO to revoke it")


KINDS: dict[str, Kind] = {k.slug: k for k in [
    Kind("unapproved_service", "Access to a service not approved for the contract",
         "Requested, active or paused access to a service the contract does not have "
         "approved (denied, taken off, or never approved).",
         unapproved_service, _unapproved_row),
    Kind("after_end", "Access after the end of performance",
         "Requested, active or paused access on a closed contract, or after the last day "
         "of its period of performance.", after_end, _after_end_row),
    Kind("dua_uncovered", "Access without a valid Data Use Agreement",
         "Requested or active access to a service that needs a DUA, with no valid DUA "
         "covering it. Paused access is not counted: the lapse already stopped it.",
         dua_uncovered, _dua_row),
    Kind("eua_incomplete", "EUA background check not complete",
         "Requested or active access to a service that needs an EUA job code, held by a "
         "contractor user whose EUA background check is not “Complete”.",
         eua_incomplete, _eua_row),
    Kind("two_contractors", "On the rosters of two contractors",
         "A person on the rosters of running contracts of two different contractors "
         "(rosters of closed and withdrawn contracts do not count).",
         two_contractors, _two_contractors_row),
    Kind("unconfirmed", "Access requested and never confirmed",
         "Access requested more than {days} business days ago and still not confirmed.",
         unconfirmed, _unconfirmed_row),
]}


def rows(kind: str, day: datetime.date, limit: int | None = None) -> Iterator[Finding]:
    """The findings of one kind on `day` (at most `limit`), in the page's order."""
    spec = KINDS[kind]
    found = spec.query(day)
    if limit is not None:
        found = found[:limit]
    for item in found.iterator(chunk_size=500) if limit is None else found:
        yield spec.row(item, day)


def count(kind: str, day: datetime.date) -> int:
    return KINDS[kind].query(day).count()


def every(day: datetime.date, kinds=None) -> Iterator[Finding]:
    """Every finding on `day` (of `kinds`, every kind unless named), kind by kind."""
    for kind in kinds or KINDS:
        yield from rows(kind, day)
