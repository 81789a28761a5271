"""The accounts page's reads (views/people.py): every person with their roles, last
sign-in, second factor and account status, filtered; and its filter form.

A page of people costs the same number of queries for 3 people as for 3,000: the status
and the second factor are annotations, team roles one prefetch, contract roles one grouped
query for the page's people.
"""

import csv
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from allauth.mfa.models import Authenticator
from django import forms
from django.db import models
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from muster import clock
from muster.accounts.models import ContractRole, TeamRole, User
from muster.forms import USWDSMixin
from muster.spreadsheets import inert

from .lifecycle import ENDED_STAGES
from .models import Invitation
from .queries import AccountStatus, account_status

CONTRACT = "contract:"
TEAM = "team:"
NO_ROLE = "none"
ROLE_CHOICES = [
    ("", "Any role"),
    *[(CONTRACT + value, label) for value, label in ContractRole.Role.choices],
    *[(TEAM + value, label) for value, label in TeamRole.Role.choices],
    (NO_ROLE, "No role"),
]
# Short names for the contract roles in a summary ("SO on 2 contracts").
CONTRACT_ROLE_SHORT: dict[str, str] = {
    ContractRole.Role.COR: "COR",
    ContractRole.Role.POC: "POC",
    ContractRole.Role.SO: "SO",
    ContractRole.Role.SPOC: "SPOC",
    ContractRole.Role.CONTRACTOR_USER: "Contractor user",
}


class PeopleFilterForm(USWDSMixin, forms.Form):
    """The accounts page's search and filters, read from the query string."""

    q = forms.CharField(label="Search", required=False, max_length=100,
                        help_text="Name, email address or HARP ID")
    status = forms.ChoiceField(label="Status", required=False,
                               choices=[("", "Any status"), *AccountStatus.choices])
    role = forms.ChoiceField(label="Role", required=False, choices=ROLE_CHOICES)
    second_factor = forms.ChoiceField(
        label="Second factor", required=False,
        choices=[("", "On or off"), ("on", "On"), ("off", "Off")],
    )

    def filters(self) -> dict:
        # A bad value drops only that filter: cleaned_data keeps every valid field.
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "q": (data.get("q") or "").strip(),
            "status": data.get("status") or "",
            "role": data.get("role") or "",
            "second_factor": data.get("second_factor") or "",
        }


def _open_roles() -> models.QuerySet:
    return ContractRole.objects.exclude(contract__stage__in=ENDED_STAGES)


def people(*, q: str = "", status: str = "", role: str = "",
           second_factor: str = "") -> models.QuerySet:
    """Everyone, annotated (invitation_pending, has_totp), team roles prefetched, filtered
    and ordered by name."""
    now = clock.now()
    pending = Invitation.objects.pending(now).filter(user=OuterRef("pk"))
    totp = Authenticator.objects.filter(user=OuterRef("pk"), type=Authenticator.Type.TOTP)
    rows = User.objects.annotate(invitation_pending=Exists(pending), has_totp=Exists(totp))
    if q:
        rows = rows.filter(Q(full_name__icontains=q) | Q(email__icontains=q)
                           | Q(harp_id__icontains=q))
    if status == AccountStatus.DISABLED:
        rows = rows.filter(is_active=False)
    elif status == AccountStatus.ACTIVE:
        rows = rows.filter(is_active=True, last_login__isnull=False)
    elif status == AccountStatus.INVITED:
        rows = rows.filter(is_active=True, last_login__isnull=True, invitation_pending=True)
    elif status == AccountStatus.NEVER_SIGNED_IN:
        rows = rows.filter(is_active=True, last_login__isnull=True, invitation_pending=False)
    if second_factor == "on":
        rows = rows.filter(has_totp=True)
    elif second_factor == "off":
        rows = rows.filter(has_totp=False)
    if role.startswith(CONTRACT):
        rows = rows.filter(Exists(_open_roles().filter(user=OuterRef("pk"),
                                                       role=role[len(CONTRACT):])))
    elif role.startswith(TEAM):
        rows = rows.filter(Exists(TeamRole.objects.filter(user=OuterRef("pk"),
                                                          role=role[len(TEAM):])))
    elif role == NO_ROLE:
        rows = rows.exclude(Exists(_open_roles().filter(user=OuterRef("pk")))).exclude(
            Exists(TeamRole.objects.filter(user=OuterRef("pk"))))
    team = TeamRole.objects.select_related("service").order_by("role", "service__name")
    return rows.prefetch_related(Prefetch("team_roles", queryset=team)).order_by(
        "full_name", "email")


@dataclass
class PersonRow:
    """One person as the page and the CSV show them."""

    user: User
    status: AccountStatus
    contract_roles: list[str] = field(default_factory=list)  # "SO on 2 contracts"
    team_roles: list[str] = field(default_factory=list)

    @property
    def roles(self) -> list[str]:
        return self.team_roles + self.contract_roles


def rows(users: Iterable[User]) -> list[PersonRow]:
    """The people of one page with their roles: one grouped query for the contract roles
    (open contracts only), whatever the number of people."""
    users = list(users)
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    grouped = (_open_roles().filter(user__in=[u.pk for u in users]).order_by()
               .values("user_id", "role").annotate(n=Count("contract", distinct=True)))
    for row in grouped:
        counts[row["user_id"]][row["role"]] = row["n"]
    result = []
    for user in users:
        mine = counts.get(user.pk, {})
        contract_roles = [
            f"{CONTRACT_ROLE_SHORT[role]} on {n} contract{'s' if n != 1 else ''}"
            for role in ContractRole.Role.values if (n := mine.get(role))
        ]
        team_roles = [
            f"{t.get_role_display()}: {t.service}" if t.service_id else t.get_role_display()
            for t in user.team_roles.all()
        ]
        result.append(PersonRow(user, account_status(user), contract_roles, team_roles))
    return result


# ------------------------------------------------------------------------------ CSV

CSV_COLUMNS = ["Name", "Email", "HARP ID", "Status", "Roles", "Last sign-in",
               "Second factor"]
CSV_BATCH = 1000



class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(users: models.QuerySet) -> Iterator[str]:
    """The filtered list as CSV lines, read in batches (a few queries per thousand)."""
    writer = csv.writer(_Echo())
    yield "\ufeff"  # so Excel reads it as UTF-8
    yield writer.writerow(CSV_COLUMNS)
    batch: list[User] = []
    for user in users.iterator(chunk_size=CSV_BATCH):
        batch.append(user)
        if len(batch) == CSV_BATCH:
            yield from _csv_batch(writer, batch)
            batch = []
    yield from _csv_batch(writer, batch)


def _csv_batch(writer, users: list[User]) -> Iterator[str]:
    for row in rows(users):
        user: Any = row.user
        last = timezone.localtime(user.last_login).strftime("%Y-%m-%d %H:%M") \
            if user.last_login else ""
        yield writer.writerow([inert(v) for v in (
            user.full_name, user.email, user.harp_id, row.status.label, "; ".join(row.roles),
            last, "On" if user.has_totp else "Off",
        )])
