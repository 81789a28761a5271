"""iCalendar feeds: a person's private, revocable link and the due dates it lists.

A person's feed lists the open steps, with a due date, of the contracts they may see whose
responsible parties include one of their roles on that contract:

    contract role COR               → "cor"
    contract role POC, SO or SPOC   → "contractor"
    team role onboarding team       → "onboarding_team"   (every contract)
    team role team lead             → "team_lead"         (every contract)
    lead of a service the contract requested → "service_lead"

A contract's feed lists every open step of that contract with a due date. Both are written
here as RFC 5545 text (all-day events, escaped, folded at 75 octets, CRLF line endings).
"""

import datetime
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.urls import reverse

from muster import clock
from muster.accounts import permissions
from muster.accounts.models import ContractRole, User
from muster.accounts.permissions import Action
from muster.audit import services as audit
from muster.contracts.models import ContractService
from muster.timeline.models import ContractStep, Responsible

from .models import CalendarFeed

PRODID = "-//Muster//Contract onboarding and offboarding//EN"
# Contract roles → the party a step names.
CONTRACT_ROLE_PARTY = {
    ContractRole.Role.COR: Responsible.COR,
    ContractRole.Role.POC: Responsible.CONTRACTOR,
    ContractRole.Role.SO: Responsible.CONTRACTOR,
    ContractRole.Role.SPOC: Responsible.CONTRACTOR,
}
# Team roles that make a person responsible on every contract.
TEAM_ROLE_PARTY = {
    permissions.ONBOARDING_TEAM: Responsible.ONBOARDING_TEAM,
    permissions.TEAM_LEAD: Responsible.TEAM_LEAD,
}


# ---------------------------------------------------------------------------- the link


def live_feed(user) -> CalendarFeed | None:
    """The person's link that still works, if any."""
    return CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).first()


def feed_for(user) -> CalendarFeed:
    """The person's live link, made (and audited) if they have none."""
    with transaction.atomic():
        # One live link per person even when two requests race: lock the person's row.
        User.objects.select_for_update().filter(pk=user.pk).first()
        feed = live_feed(user)
        if feed is not None:
            return feed
        feed = CalendarFeed.objects.create(
            user=user, token=secrets.token_urlsafe(32), created_at=clock.now()
        )
        # Never the token itself: the audit record is read by many.
        audit.record(user, "calendar_feed.created", feed,
                     f"Calendar link made for {user.get_full_name() or user.email}",
                     after={"user": user.pk, "created_at": feed.created_at})
        return feed


def revoke(user) -> int:
    """Turn off the person's live link (calendars stop updating); returns how many."""
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        feeds = list(CalendarFeed.objects.filter(user=user, revoked_at__isnull=True))
        now = clock.now()
        for feed in feeds:
            feed.revoked_at = now
            feed.save(update_fields=["revoked_at"])
            audit.record(user, "calendar_feed.revoked", feed,
                         f"Calendar link turned off for {user.get_full_name() or user.email}",
                         before={"revoked_at": None}, after={"revoked_at": now})
        return len(feeds)


def feed_by_token(token: str) -> CalendarFeed:
    """The live link with this token, with its (active) person; else Http404."""
    if not token or len(token) > (CalendarFeed._meta.get_field("token").max_length or 0):
        raise Http404
    feed = (CalendarFeed.objects.select_related("user")
            .filter(token=token, revoked_at__isnull=True, user__is_active=True).first())
    if feed is None:
        raise Http404
    return feed


def base_url() -> str:
    return settings.MUSTER_BASE_URL.rstrip("/")


def person_feed_url(feed: CalendarFeed) -> str:
    return base_url() + reverse("closeout:person_feed", args=[feed.token])


def contract_feed_url(feed: CalendarFeed, contract) -> str:
    return base_url() + reverse("closeout:contract_feed", args=[feed.token, contract.pk])


def webcal_url(url: str) -> str:
    """The same address with the scheme calendar apps open as a subscription."""
    return "webcal://" + url.split("://", 1)[-1]


# ---------------------------------------------------------------------------- the events


@dataclass(frozen=True)
class Event:
    uid: str
    day: datetime.date
    summary: str
    description: str
    url: str


def _event(step: ContractStep) -> Event:
    assert step.due_date is not None, "the feeds list dated steps only"
    contract = step.contract
    url = base_url() + contract.get_absolute_url()
    description = "\n".join([
        f"Responsible: {', '.join(step.responsible_labels) or 'Not named'}",
        f"Done when: {step.evidence}",
        f"Contract: {contract.name}, number {contract.contract_number}",
        f"Phase: {step.phase}",
        url,
    ])
    return Event(
        uid=f"step-{step.pk}@muster",
        day=step.due_date,
        summary=f"{step.name} — {contract.name}",
        description=description,
        url=url,
    )


def _open_dated_steps():
    return (ContractStep.objects.filter(completed_at__isnull=True, cancelled_at__isnull=True,
                                        due_date__isnull=False)
            .select_related("contract")
            .only("pk", "name", "phase", "evidence", "responsible", "due_date", "contract_id",
                  "contract__name", "contract__contract_number")
            .order_by("due_date", "contract__name", "contract_id", "order"))


def _mentions(party: str) -> Q:
    """Steps whose list of responsible parties names this one. JSON "contains" does not
    exist on SQLite, so match the quoted name in the list's JSON text, which is exact for
    a list of these plain lowercase names on SQLite and PostgreSQL alike."""
    return Q(responsible__icontains=f'"{party}"')


def person_events(user) -> list[Event]:
    """The open, dated steps the person is responsible for, in one query (after the
    person's team roles, read once): the number of contracts does not change it."""
    if not user.is_authenticated or not user.is_active:
        return []
    roles = permissions.team_roles(user)
    leads = permissions.led_service_ids(user)
    # Each party the person may act as, and where: everywhere, or where a row says so.
    condition = Q(pk__in=[])
    for role, party in TEAM_ROLE_PARTY.items():
        if role in roles:
            condition |= _mentions(party)
    for party in set(CONTRACT_ROLE_PARTY.values()):
        holds = [role for role, p in CONTRACT_ROLE_PARTY.items() if p == party]
        condition |= _mentions(party) & Q(Exists(ContractRole.objects.filter(
            contract=OuterRef("contract_id"), user=user, role__in=holds)))
    if leads:
        condition |= _mentions(Responsible.SERVICE_LEADS) & Q(Exists(
            ContractService.objects.filter(contract=OuterRef("contract_id"),
                                           service_id__in=leads)))
    steps = _open_dated_steps().filter(condition,
                                       contract__in=permissions.visible_contracts(user))
    return [_event(step) for step in steps]


def contract_events(user, contract) -> list[Event]:
    """Every open, dated step of the contract, if the person may view it (else Http404)."""
    if not permissions.can(user, Action.VIEW_CONTRACT, contract):
        raise Http404
    return [_event(step) for step in _open_dated_steps().filter(contract=contract)]


# ---------------------------------------------------------------------------- RFC 5545


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and newlines escaped."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """Split a content line into lines of at most 75 octets (§3.1), never inside a
    character; each continuation starts with one space."""
    pieces: list[str] = []
    current: list[str] = []
    size, limit = 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append("".join(current))
            current, size, limit = [], 0, 74  # the leading space takes one octet
        current.append(char)
        size += width
    pieces.append("".join(current))
    return "\r\n ".join(pieces)


def _stamp(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def render_ics(name: str, events: list[Event]) -> str:
    """A VCALENDAR of all-day events (DTEND the day after, as §3.6.1 asks)."""
    stamp = _stamp(clock.now())
    host = urlsplit(base_url()).hostname or "muster"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"NAME:{escape_text(name)}",
        f"X-WR-CALNAME:{escape_text(name)}",
        f"X-WR-CALDESC:{escape_text(f'Due dates from Muster ({host})')}",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ]
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{event.uid}",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{event.day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{event.day + datetime.timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{escape_text(event.summary)}",
            f"DESCRIPTION:{escape_text(event.description)}",
            f"URL:{event.url}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
