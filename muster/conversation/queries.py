"""Reading a thread: the entries a person may read, and the people they may notify. A fixed
number of queries whatever the number of entries, attachments or people (the contract's
page pins its count)."""

import functools
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, Q, QuerySet

from muster.accounts import permissions
from muster.accounts.models import TeamRole
from muster.compiled import Compiled
from muster.contracts.models import ContractService

from .models import Entry, Mention, Visibility
from .subjects import SUBJECTS

PARTY_LABELS = {"cor": "COR", "poc": "POC", "so": "SO", "spoc": "SPOC"}
TEAM_LABELS: dict[str, str] = {TeamRole.Role.ONBOARDING_TEAM: "onboarding team",
                               TeamRole.Role.TEAM_LEAD: "team lead"}
PARTY_ORDER = ["cor", "poc", "so", "spoc"]


def visibilities(user, contract, about=None) -> list[str]:
    """The kinds of entry the person reads on this thread (none: no thread for them)."""
    return [v for v in Visibility.values
            if permissions.may_read_thread(user, contract, about, v)]


def entries(user, contract, about=None) -> list[Entry]:
    """The entries of the contract's thread this person may read, oldest first: all of
    them (`about` None: the contract's page) or those about the request `about`."""
    shown = visibilities(user, contract, about)
    if not shown:
        return []
    if about is None:  # the contract's page: its query built once per process
        found: list[Any] = _contract_entries(tuple(shown)).objects(contract_id=contract.pk)
    else:
        found = list(_shown(Entry.objects.filter(
            contract=contract, visibility__in=shown,
            about_type=ContentType.objects.get_for_model(about), about_id=about.pk)))
    for entry in found:
        entry.about_page = _about_page(entry) if about is None else ""
    return found


def _shown(entries: QuerySet) -> QuerySet:
    """Entries with what a thread shows of them."""
    return entries.select_related("author", "about_type").prefetch_related(
        "attachments", Prefetch("mentions", queryset=Mention.objects.select_related("user")))


@functools.cache
def _contract_entries(shown: tuple[str, ...]) -> Compiled:
    """The entries of a contract's whole thread of the kinds `shown` (a handful of sets)."""
    return Compiled(lambda contract_id: _shown(Entry.objects.filter(
        contract_id=contract_id, visibility__in=shown)), contract_id=int)


def _about_page(entry: Entry) -> str:
    if entry.about_type is None or entry.about_id is None:
        return ""
    subject = SUBJECTS.get(f"{entry.about_type.app_label}.{entry.about_type.model}")
    return subject.page(entry.contract_id, entry.about_id) if subject else ""


@dataclass
class Candidate:
    """A person the author may notify: who they are and what they may read."""

    user: Any
    roles: list[str] = field(default_factory=list)
    reads_internal: bool = False

    @property
    def label(self) -> str:
        name = self.user.full_name or self.user.email
        return f"{name} ({', '.join(self.roles)})"


def candidates(contract, about=None, *, exclude=None) -> list[Candidate]:
    """Who may be notified of a shared entry on this thread: the contract's COR, POC, SO
    and SPOC, the onboarding team and its lead, and the leads of the contract's services
    (and of the requested service, on an additional-service request). Those who read
    internal notes are marked. Administrators are not offered: they read every thread but
    do not take part in one. One query, and the contract's roles and services (prefetched
    on the contract's page), whatever the number of people."""
    found: dict[int, Candidate] = {}

    def add(user, label: str, internal: bool = False) -> None:
        if not user.is_active or (exclude is not None and user.pk == exclude.pk):
            return
        item = found.setdefault(user.pk, Candidate(user))
        if label not in item.roles:
            item.roles.append(label)
        item.reads_internal |= internal

    # The contract's roles and services: the contract page has them prefetched already.
    parties = sorted((r for r in contract.roles.all() if r.role in PARTY_ORDER),
                     key=lambda r: (PARTY_ORDER.index(r.role), r.user.full_name))
    for row in parties:
        add(row.user, PARTY_LABELS[row.role])
    service_id = getattr(about, "service_id", None)
    team: list[Any] = (_TEAM.objects(contract_id=contract.pk) if service_id is None
            else _TEAM_AND_LEADS.objects(contract_id=contract.pk, service_id=service_id))
    for row in team:
        if row.role == TeamRole.Role.SERVICE_LEAD:
            add(row.user, f"{row.service} lead")
        else:
            add(row.user, TEAM_LABELS[row.role], internal=True)
    return list(found.values())


def _team(contract_id, service_id=None) -> QuerySet:
    """The onboarding team and its lead, and the leads of the contract's services (and of
    the service `service_id`)."""
    services = Q(service_id__in=ContractService.objects.filter(
        contract_id=contract_id).values("service_id"))
    if service_id is not None:
        services |= Q(service_id=service_id)
    return (TeamRole.objects.filter(Q(role__in=list(TEAM_LABELS))
                                    | Q(services, role=TeamRole.Role.SERVICE_LEAD))
            .select_related("user", "service").order_by("role", "user__full_name"))


# Built once per process (muster/compiled.py): every contract page reads it.
_TEAM = Compiled(lambda contract_id: _team(contract_id), contract_id=int)
_TEAM_AND_LEADS = Compiled(_team, contract_id=int, service_id=int)


@dataclass
class Thread:
    """What a page shows of a thread: its entries and, for a person who may write, the
    form and where it posts. `every`: the contract's page, whose entries name their
    request."""

    entries: list[Entry]
    form: Any  # the person's form with its errors, or the empty form's HTML
    action: str
    every: bool
    reads_internal: bool
    subject: str  # "this contract", "this request"


def thread(user, contract, about=None, *, form=None, action: str) -> Thread | None:
    """The thread of a page for this person (None: they read no thread)."""
    from .forms import empty_form_html

    shown = visibilities(user, contract, about)
    if not shown:
        return None
    if form is None:
        form = empty_form_html(candidates(contract, about, exclude=user),
                               internal=Visibility.INTERNAL in shown)
    return Thread(entries=entries(user, contract, about), form=form, action=action,
                  every=about is None, reads_internal=Visibility.INTERNAL in shown,
                  subject="this contract" if about is None else "this request")
