"""The contract's roster of contractor users and one member's page: finding people (the
filter updates the results in place with htmx, a plain GET without JavaScript), adding one
person, taking one off. Thin: parse, authorize (accounts.permissions), call one service,
render or redirect; the reads are in access.queries."""

from dataclasses import dataclass, field
from functools import cache
from operator import attrgetter, itemgetter

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html_join
from django.views.decorators.http import require_POST

from muster import clock
from muster.accounts import permissions
from muster.accounts.models import ContractRole, User
from muster.accounts.permissions import Action
from muster.actions import act
from muster.identity.invitations import SignIn, sign_in_of
from muster.reverse_once import address

from .. import bulk, queries
from .. import roster as roster_actions
from ..forms import AddUserForm, EuaCheckForm, FilterForm, GrantForm, service_label
from ..guards import AccessError, InvalidMember
from ..models import GrantStatus
from .bulk import REVOKED_SUMMARY, bulk_summary
from .roster_rows import RosterTable

PAGE_SIZE = 50
EUA_CHECKS = {value: str(label) for value, label in ContractRole.EuaCheck.choices}


@dataclass
class Row:
    """A roster member as the page lists them: their grants, and the services the SO may
    still grant them (the row's select: (id, label) pairs)."""

    user_id: int
    member: queries.RosterMember  # their name, email and HARP ID
    grants: list[queries.RosterGrant]
    grantable: list[tuple[int, str]] = field(default_factory=list)
    options: str = ""  # grantable as the select's <option>s
    sign_in: SignIn | None = None  # their account's status, and whether a link can be sent
    eua_check: str = ""  # their EUA background check, as said


def page_of(request, rows, size=PAGE_SIZE):
    return Paginator(rows, size).get_page(request.GET.get("page"))


def grant_form(member_user, services_left, origin, data=None) -> GrantForm:
    return GrantForm(
        data, services=services_left, auto_id=f"grant_{member_user.pk}_%s",
        initial={"user": member_user.pk, "origin": origin},
    )


def available(approved, grants, pk_of=attrgetter("pk")) -> list:
    """The approved services the person holds no unrevoked grant to (`pk_of` reads a
    service's id: the roster passes (id, label) pairs)."""
    live = {g.service_id for g in grants if g.status != GrantStatus.REVOKED}
    return [s for s in approved if pk_of(s) not in live]


# --- The roster -------------------------------------------------------------------------


def roster(request, pk, add_form=None, status=200):
    contract = permissions.contract_for(request.user, pk, Action.VIEW_ROSTER)
    manages = permissions.can(request.user, Action.MANAGE_ROSTER, contract)
    filters = FilterForm(request.GET)
    q = filters.cleaned_data["q"].strip() if filters.is_valid() else ""
    page = page_of(request, queries.members(contract, q))
    # The page's rows, read once: a Page hands out each row through its Sequence
    # methods (30 calls a row), and the view goes through them three times.
    members: list[queries.RosterMember] = list(page.object_list)
    approved = queries.approved_services(contract)
    accounts = sign_in_of(m.user_id for m in members)
    rows = [Row(m.user_id, m, m.grants, sign_in=accounts.get(m.user_id),
                eua_check=EUA_CHECKS.get(m.eua_check, m.eua_check)) for m in members]
    user, here = request.user, request.get_full_path()
    for row in rows:
        for g in row.grants:
            # Asked here, not by {% may %} for each of the page's grants in the template.
            g.may_confirm = permissions.may_confirm_grant_now(user, g)
            g.revocable = manages and g.status != GrantStatus.REVOKED
    if manages:  # the same select on every row, less what the person already holds
        choices = [(s.pk, service_label(s)) for s in approved]
        for row in rows:  # on the (id, label) pairs: each service's label written once a page
            row.grantable = available(choices, row.grants, pk_of=itemgetter(0))
        # Most rows offer the same services: their options are written once per choice,
        # not by a loop in the template for each row.
        options: dict[tuple, str] = {}
        for row in rows:
            key = tuple(row.grantable)
            if key not in options:
                options[key] = format_html_join("", '<option value="{}">{}</option>', key)
            row.options = options[key]
    # Whoever may send one member a new invitation may for all (same role).
    may_invite = permissions.may_resend_invitation(
        request.user, ContractRole(contract=contract, role=queries.MEMBER))
    query = request.GET.copy()
    query.pop("page", None)
    # The page's CSRF token, taken once for its rows and its other forms (the context
    # processor's would mask it again: 500 Python calls).
    token = get_token(request)
    results = {"contract": contract, "page": page, "rows": rows, "q": q, "urls": _urls(pk),
               "csrf_token": token,
               "rows_html": RosterTable(pk, here=here, csrf_token=token,
                                        may_invite=may_invite).rows_html(rows),
               # Where the bulk revoke comes back to.
               "forms_back_to": here,
               "query": query.urlencode(), "max_items": bulk.MAX_ITEMS}
    if request.htmx:  # the filter asked: only the results change, the URL follows
        return render(request, "access/roster/_results.html", results)
    return render(request, "access/roster/roster.html", {
        **results,
        "filters": filters,
        # Unfiltered, the paginator counted the roster already: not twice.
        "total": page.paginator.count if not q else queries.roster_size(contract),
        "counts": queries.grant_counts(contract),
        "approved": approved,
        "dua_blocked": queries.dua_blocked(contract, approved, clock.today()),
        "add_form": add_form or (blank_add_form() if manages else None),
        "form": add_form,  # for the error summary
        "open_imports": queries.open_imports(contract) if manages else [],
        "summary": bulk_summary(request, REVOKED_SUMMARY, contract=contract.pk),
    }, status=status)


def _urls(pk) -> dict[str, str]:
    """The roster's links and form actions, by name, and its breadcrumbs' (reversed once
    per process)."""
    return {**{name: address(f"access:{name}", pk)
               for name in ("roster", "import", "export", "add_user", "revoke_grants")},
            "contracts": address("contracts:list"), "contract": address("contracts:detail", pk)}


@cache
def blank_add_form() -> str:
    """The empty "Add a user" form's HTML, drawn once per process: the same for everyone,
    and its form and widget templates cost more than the roster's 50 rows."""
    return str(AddUserForm(auto_id="add_%s"))


def add_user(request, pk):
    contract = permissions.contract_for(request.user, pk, Action.MANAGE_ROSTER)
    form = AddUserForm(request.POST or None, auto_id="add_%s")
    if request.method == "POST" and form.is_valid():
        try:
            role = roster_actions.add_user(request.user, contract, **form.cleaned_data)
        except InvalidMember as error:
            for name, msgs in error.errors.items():
                for message in msgs:
                    form.add_error(name if name in form.fields else None, message)
        except AccessError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"{role.user.full_name} is on the roster. Grant them "
                             "access to the contract's approved services below.")
            return redirect(reverse("access:roster", args=[contract.pk])
                            + f"#member-{role.user_id}")
    return render(request, "access/roster/add_user.html", {
        "contract": contract, "form": form,
    }, status=400 if form.errors else 200)


# --- One member -------------------------------------------------------------------------


def member_page(request, contract, member_user, *, form=None, eua_form=None, status=200):
    """A member's grants, EUA background check and history; `form`, a grant form the
    person sent with errors; `eua_form`, an EUA check form sent with errors."""
    found = queries.member_page(contract, member_user)
    if found.role is None and not found.grants:
        raise Http404("This person is not on the contract's roster.")
    approved = queries.approved_services(contract)
    manages = permissions.can(request.user, Action.MANAGE_ROSTER, contract)
    if manages and found.role is not None and form is None:
        form = grant_form(member_user, available(approved, found.grants), "member")
    if (eua_form is None and found.role is not None
            and permissions.can(request.user, Action.RECORD_EUA_CHECK, contract)):
        eua_form = EuaCheckForm(initial={"eua_check": found.role.eua_check,
                                         "seen": found.role.eua_check})
    bound = [f for f in (form, eua_form) if f is not None and f.is_bound]
    return render(request, "access/roster/member.html", {
        "contract": contract, "member": member_user, "role": found.role,
        "grants": found.grants, "grant_form": form, "eua_form": eua_form,
        "eua_needed": eua_needed(found.role, found.grants),
        "form": bound[0] if bound else None,  # for the error summary
        "dua_blocked": queries.dua_blocked(contract, approved, clock.today()),
        "history": found.history, "meanings": STATE_MEANINGS,
    }, status=status)


def eua_needed(role, grants) -> set[int]:
    """The grants that reconciliation finds for want of a complete EUA check: requested or
    active, on a service with an EUA job code, held by a member whose check is not
    complete (reconciliation.findings.eua_incomplete, for one person)."""
    if role is None or role.eua_check == ContractRole.EuaCheck.COMPLETE:
        return set()
    return {g.pk for g in grants if queries.needs_eua_check(g)}


def member(request, pk, user_pk):
    contract = permissions.contract_for(request.user, pk, Action.VIEW_ROSTER)
    member_user = get_object_or_404(User, pk=user_pk)
    return member_page(request, contract, member_user)


def _on_roster(contract, user_pk) -> User:
    member_user = queries.person_of(contract, user_pk)
    if member_user is None:
        raise Http404("This person is not on the contract's roster.")
    return member_user


@require_POST
def remove_user(request, pk, user_pk):
    contract = permissions.contract_for(request.user, pk, Action.MANAGE_ROSTER)
    member_user = _on_roster(contract, user_pk)

    def done(revoked) -> str:
        extra = f" Revoked {len(revoked)} access grant{'s' if len(revoked) != 1 else ''}." \
            if revoked else ""
        return f"{member_user.full_name} is off the roster.{extra}"

    return act(request, done=done, then=reverse("access:roster", args=[contract.pk]),
               call=lambda _: roster_actions.remove_user(request.user, contract, member_user))


@require_POST
def eua_check(request, pk, user_pk):
    """Record a member's EUA background check (the SO or the onboarding team)."""
    contract = permissions.contract_for(request.user, pk, Action.RECORD_EUA_CHECK)
    member_user = _on_roster(contract, user_pk)

    def done(result) -> str:
        said = result.role.get_eua_check_display()
        if not result.changed:
            return (f"{member_user.full_name}'s EUA background check is already “{said}”: "
                    "nothing changed.")
        return f"{member_user.full_name}'s EUA background check is now “{said}”."

    return act(request, form=EuaCheckForm(request.POST),
               invalid=lambda f: member_page(request, contract, member_user, eua_form=f),
               call=lambda data: roster_actions.record_eua_check(
                   request.user, contract, member_user, data["eua_check"],
                   seen=data["seen"] or None),
               done=done, then=reverse("access:member", args=[contract.pk, member_user.pk]))


# What each state means to the person holding the access.
STATE_MEANINGS = {
    GrantStatus.REQUESTED: "The Security Official asked for this access; the onboarding "
    "team or the service's lead confirms it once it is set up.",
    GrantStatus.ACTIVE: "You may use this service.",
    GrantStatus.PAUSED: "You cannot use this service for now. Nothing is lost: the access "
    "resumes by itself once the reason is resolved.",
    GrantStatus.REVOKED: "This access has ended.",
}
