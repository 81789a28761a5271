"""The contract's roster of contractor users and their access grants; the CSV import and
export; a person's own access; the grants waiting for confirmation.

Thin: parse, authorize (accounts.permissions), call one service, render or redirect.
"""

from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.db.models.functions import Lower
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from muster import clock
from muster.accounts import permissions
from muster.accounts.models import ContractRole, User
from muster.accounts.permissions import Action
from muster.actions import refused_as_form_error, refused_as_message
from muster.audit.models import AuditEvent
from muster.catalog.models import Service

from .. import queries, roster_csv, services
from ..dua import valid_dua
from ..forms import AddUserForm, FilterForm, GrantForm, ImportForm
from ..models import AccessGrant, GrantStatus, RosterImport

PAGE_SIZE = 50
PREVIEW_PAGE_SIZE = 100
MEMBER = ContractRole.Role.CONTRACTOR_USER
# What each state means to the person holding the access.
STATE_MEANINGS = {
    GrantStatus.REQUESTED: "The Security Official asked for this access; the onboarding "
    "team or the service's lead confirms it once it is set up.",
    GrantStatus.ACTIVE: "You may use this service.",
    GrantStatus.PAUSED: "You cannot use this service for now. Nothing is lost: the access "
    "resumes by itself once the reason is resolved.",
    GrantStatus.REVOKED: "This access has ended.",
}


def _page(request, queryset, size=PAGE_SIZE):
    return Paginator(queryset, size).get_page(request.GET.get("page"))


def _next_url(request, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _dua_blocked(contract, approved) -> list:
    """Approved services that need a DUA the contract does not have (valid) today."""
    today = clock.today()
    return [s for s in approved if s.requires_dua and valid_dua(contract, today, s) is None]


def _grants_by_user(contract, user_ids) -> dict[int, list]:
    grouped = defaultdict(list)
    for grant in AccessGrant.objects.filter(contract=contract, user_id__in=user_ids).select_related(
        "service"
    ).order_by("service__order", "service__name", "-requested_at"):
        grouped[grant.user_id].append(grant)
    return grouped


def _grant_form(member_user, services_left, origin, data=None):
    return GrantForm(
        data, services=services_left, auto_id=f"grant_{member_user.pk}_%s",
        initial={"user": member_user.pk, "origin": origin},
    )


def _available(approved, grants) -> list:
    live = {g.service_id for g in grants if g.status != GrantStatus.REVOKED}
    return [s for s in approved if s.pk not in live]


# --- The roster -------------------------------------------------------------------------


def _members(contract, q: str):
    rows = ContractRole.objects.filter(contract=contract, role=MEMBER).select_related("user")
    if q:
        rows = rows.filter(Q(user__full_name__icontains=q) | Q(user__email__icontains=q))
    return rows.order_by(Lower("user__full_name"), "user__email")


def roster(request, pk, add_form=None, status=200):
    user = request.user
    contract = permissions.contract_for(user, pk, Action.VIEW_ROSTER)
    roles = permissions.roles_on(user, contract)
    can_manage = bool(roles & permissions.RULES[Action.MANAGE_ROSTER])
    filters = FilterForm(request.GET)
    q = filters.cleaned_data["q"].strip() if filters.is_valid() else ""
    page = _page(request, _members(contract, q))
    grants = _grants_by_user(contract, [m.user_id for m in page])
    approved = services.approved_services(contract)
    for member in page:
        member.grants = grants.get(member.user_id, [])
        for grant in member.grants:
            grant.may_confirm = (grant.status == GrantStatus.REQUESTED
                                 and services.may_confirm(user, grant, roles))
        if can_manage:
            member.grant_form = _grant_form(member.user, _available(approved, member.grants),
                                            "roster")
    counts = dict(AccessGrant.objects.filter(contract=contract).order_by().values("status")
                  .annotate(n=Count("pk")).values_list("status", "n"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "access/roster/roster.html", {
        "contract": contract,
        "page": page,
        "q": q,
        "query": query.urlencode(),
        "filters": filters,
        "total": ContractRole.objects.filter(contract=contract, role=MEMBER).count(),
        "counts": {s.value: counts.get(s.value, 0) for s in GrantStatus},
        "approved": approved,
        "dua_blocked": _dua_blocked(contract, approved),
        "can_manage": can_manage,
        "add_form": add_form or (AddUserForm(auto_id="add_%s") if can_manage else None),
        "form": add_form,  # for the error summary
        "open_imports": RosterImport.objects.filter(
            contract=contract, status=RosterImport.Status.PREVIEW
        ).order_by("-uploaded_at")[:5] if can_manage else [],
    }, status=status)


def add_user(request, pk):
    contract = permissions.contract_for(request.user, pk, Action.MANAGE_ROSTER)
    form = AddUserForm(request.POST or None, auto_id="add_%s")
    if request.method == "POST" and form.is_valid():
        try:
            role = services.add_user(request.user, contract, **form.cleaned_data)
        except services.InvalidMember as error:
            for name, msgs in error.errors.items():
                for message in msgs:
                    form.add_error(name if name in form.fields else None, message)
        except services.AccessError as error:
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


def _member_page(request, contract, member_user, *, grant_form=None, status=200):
    user = request.user
    roles = permissions.roles_on(user, contract)
    role = contract.roles.filter(user=member_user, role=MEMBER).first()
    grants = list(AccessGrant.objects.filter(contract=contract, user=member_user)
                  .select_related("service", "requested_by", "revoked_by")
                  .order_by("service__order", "service__name", "-requested_at"))
    if role is None and not grants:
        raise Http404("This person is not on the contract's roster.")
    can_manage = bool(roles & permissions.RULES[Action.MANAGE_ROSTER])
    for grant in grants:
        grant.may_confirm = (grant.status == GrantStatus.REQUESTED
                             and services.may_confirm(user, grant, roles))
    approved = services.approved_services(contract)
    if can_manage and role is not None and grant_form is None:
        grant_form = _grant_form(member_user, _available(approved, grants), "member")
    grant_ids = [str(g.pk) for g in grants]
    history = AuditEvent.objects.filter(contract=contract).filter(
        Q(object_type="access.accessgrant", object_id__in=grant_ids)
        | Q(action__startswith="access.user_", after__user=member_user.email)
        | Q(action__startswith="access.user_", before__user=member_user.email)
    ).select_related("actor").order_by("-id")[:100]
    return render(request, "access/roster/member.html", {
        "contract": contract, "member": member_user, "role": role, "grants": grants,
        "can_manage": can_manage and role is not None, "grant_form": grant_form,
        "form": grant_form if grant_form is not None and grant_form.is_bound else None,
        "dua_blocked": _dua_blocked(contract, approved), "history": history,
        "meanings": STATE_MEANINGS,
    }, status=status)


def member(request, pk, user_pk):
    contract = permissions.contract_for(request.user, pk, Action.VIEW_ROSTER)
    member_user = get_object_or_404(User, pk=user_pk)
    return _member_page(request, contract, member_user)


def _person_of(contract, user_pk) -> User | None:
    """Someone on the contract's roster or with access on it, else None: a posted id must
    not tell the SO the name of anyone else in Muster."""
    return User.objects.filter(
        Q(contract_roles__contract=contract, contract_roles__role=MEMBER)
        | Q(access_grants__contract=contract)
    ).filter(pk=user_pk).distinct().first()


@require_POST
def remove_user(request, pk, user_pk):
    contract = permissions.contract_for(request.user, pk, Action.MANAGE_ROSTER)
    member_user = _person_of(contract, user_pk)
    if member_user is None:
        raise Http404("This person is not on the contract's roster.")
    with refused_as_message(request) as refusal:
        revoked = services.remove_user(request.user, contract, member_user)
    if not refusal:
        extra = f" Revoked {len(revoked)} access grant{'s' if len(revoked) != 1 else ''}." \
            if revoked else ""
        messages.success(request, f"{member_user.full_name} is off the roster.{extra}")
    return redirect("access:roster", contract.pk)


# --- Grants -----------------------------------------------------------------------------


@require_POST
def grant(request, pk):
    contract = permissions.contract_for(request.user, pk, Action.MANAGE_ROSTER)
    approved = services.approved_services(contract)
    user_pk = request.POST.get("user", "")
    if not user_pk.isdigit():
        messages.error(request, "Choose the person to grant access to.")
        return redirect("access:roster", contract.pk)
    member_user = _person_of(contract, user_pk)
    if member_user is None:
        messages.error(request, "That person is not on this contract's roster.")
        return redirect("access:roster", contract.pk)
    live = AccessGrant.objects.filter(contract=contract, user=member_user).exclude(
        status=GrantStatus.REVOKED)
    form = _grant_form(member_user, _available(approved, list(live)), "member", request.POST)
    if form.is_valid():
        service = Service.objects.filter(pk=form.cleaned_data["service"]).first()
        with refused_as_form_error(form, "service") as refusal:
            if service is None:
                raise services.AccessError("There is no such service.")
            services.grant(request.user, contract, member_user, service)
        if not refusal:
            messages.success(request, f"Requested {member_user.full_name}'s access to "
                             f"{service.name}. The onboarding team confirms it once it is "
                             "set up.")
            if form.cleaned_data.get("origin") == "roster":
                return redirect(reverse("access:roster", args=[contract.pk])
                                + f"#member-{member_user.pk}")
            return redirect("access:member", contract.pk, member_user.pk)
    if not contract.roles.filter(user=member_user, role=MEMBER).exists() and not live.exists():
        messages.error(request, f"{member_user.full_name} is not on this contract's roster.")
        return redirect("access:roster", contract.pk)
    return _member_page(request, contract, member_user, grant_form=form, status=400)


@require_POST
def confirm_grant(request, pk, grant_pk):
    contract = permissions.contract_for(request.user, pk, Action.CONFIRM_ACCESS)
    item = get_object_or_404(AccessGrant, pk=grant_pk, contract=contract)
    with refused_as_message(request) as refusal:
        done = services.confirm(request.user, item)
    if not refusal:
        messages.success(request, f"{done.user.full_name}'s access to {done.service.name} "
                         "is active.")
    return redirect(_next_url(request, reverse("access:pending")))


@require_POST
def revoke_grant(request, pk, grant_pk):
    contract = permissions.contract_for(request.user, pk, Action.MANAGE_ROSTER)
    item = get_object_or_404(AccessGrant, pk=grant_pk, contract=contract)
    with refused_as_message(request) as refusal:
        done = services.revoke(request.user, item)
    if not refusal:
        messages.success(request, f"Revoked {done.user.full_name}'s access to "
                         f"{done.service.name}.")
    return redirect(_next_url(request, reverse("access:member", args=[pk, item.user_id])))


# --- CSV import and export --------------------------------------------------------------


def import_csv(request, pk):
    contract = permissions.contract_for(request.user, pk, Action.MANAGE_ROSTER)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        with refused_as_form_error(form) as refusal:
            roster_import = services.start_import(
                request.user, contract, filename=form.cleaned_data["file"].name,
                rows=form.parsed.rows,
            )
        if not refusal:
            return redirect("access:import_preview", contract.pk, roster_import.pk)
    return render(request, "access/roster/import.html", {
        "contract": contract, "form": form,
        "approved": services.approved_services(contract),
        "max_rows": roster_csv.MAX_ROWS,
    }, status=400 if form.errors else 200)


def import_preview(request, pk, import_pk):
    contract = permissions.contract_for(request.user, pk, Action.MANAGE_ROSTER)
    roster_import = get_object_or_404(RosterImport, pk=import_pk, contract=contract)
    if request.method == "POST":
        return _decide_import(request, contract, roster_import)
    rows = sorted(roster_import.rows, key=lambda r: (not r.get("errors"), r.get("line", 0)))
    grants = sum(len(r.get("services") or []) for r in roster_import.rows)
    return render(request, "access/roster/import_preview.html", {
        "contract": contract,
        "roster_import": roster_import,
        "page": _page(request, rows, PREVIEW_PAGE_SIZE),
        "total": len(rows),
        "with_errors": roster_import.error_count,
        "grants": grants,
        "ready": roster_import.status == RosterImport.Status.PREVIEW
        and not roster_import.error_count,
    })


def _decide_import(request, contract, roster_import):
    action = request.POST.get("action")
    if action not in ("confirm", "discard"):
        messages.error(request, "Choose to import the file or discard it.")
        return redirect("access:import_preview", contract.pk, roster_import.pk)
    with refused_as_message(request) as refusal:
        if action == "confirm":
            result = services.confirm_import(request.user, roster_import)
        else:
            services.discard_import(request.user, roster_import)
    if refusal:
        return redirect("access:import_preview", contract.pk, roster_import.pk)
    if action == "discard":
        messages.success(request, f"Discarded {roster_import.filename}. No one was added.")
        return redirect("access:roster", contract.pk)
    if result.errors:
        messages.error(request, f"Nothing was imported: {result.errors} row(s) have errors "
                       "now. Fix the file and upload it again.")
        return redirect("access:import_preview", contract.pk, roster_import.pk)
    messages.success(request, f"Imported {result.imported} user(s) "
                     f"({result.created_users} new to Muster) and requested "
                     f"{result.grants} access grant(s).")
    return redirect("access:roster", contract.pk)


def export_csv(request, pk):
    contract = permissions.contract_for(request.user, pk, Action.VIEW_ROSTER)
    members = list(ContractRole.objects.filter(contract=contract, role=MEMBER)
                   .select_related("user").order_by(Lower("user__full_name"), "user__email"))
    grants = defaultdict(list)
    for item in AccessGrant.objects.filter(contract=contract).select_related("service").order_by(
        "service__order", "service__name", "-requested_at"
    ):
        grants[item.user_id].append(item)

    def rows():
        for m in members:
            person = (m.user.full_name, m.user.email, m.user.harp_id)
            if not grants.get(m.user_id):
                yield (*person, "", "", "")
            for g in grants.get(m.user_id, []):
                yield (*person, g.service.name, g.get_status_display(), g.eua_job_code)

    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"roster-{contract.contract_number}-{clock.today():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response.write("\ufeff")  # so Excel reads it as UTF-8
    roster_csv.write(response, rows())
    return response


# --- A person's own access, and what waits for confirmation ---------------------------------


def my_access(request):
    user = request.user
    grants = list(queries.grants_of(user))
    on_rosters = list(ContractRole.objects.filter(user=user, role=MEMBER)
                      .select_related("contract").order_by(Lower("contract__name")))
    with_grants = {g.contract_id for g in grants}
    return render(request, "access/roster/mine.html", {
        "live": [g for g in grants if g.status != GrantStatus.REVOKED],
        "ended": [g for g in grants if g.status == GrantStatus.REVOKED],
        "without_grants": [r.contract for r in on_rosters if r.contract_id not in with_grants],
        "meanings": STATE_MEANINGS,
    })


def pending_grants(request):
    user = request.user
    team = permissions.ONBOARDING_TEAM in permissions.team_roles(user)
    leads = permissions.led_service_ids(user)
    if not team and not leads:
        raise PermissionDenied("Only the onboarding team and service leads confirm access.")
    rows = AccessGrant.objects.filter(status=GrantStatus.REQUESTED)
    if not team:
        rows = rows.filter(service_id__in=leads)
    rows = rows.select_related("contract", "service", "user", "requested_by").order_by(
        "requested_at", "pk")
    return render(request, "access/roster/pending.html", {
        "page": _page(request, rows), "team": team,
    })
