"""Access grants: the SO asks for a member's access, the onboarding team or the service's
lead confirms it, the SO revokes it; a person's own access; what waits for confirmation.
Thin: parse, authorize (accounts.permissions), call one service, redirect."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from muster.accounts import permissions
from muster.accounts.permissions import Action
from muster.actions import act, next_url, refused_as_form_error
from muster.catalog.models import Service

from .. import bulk, grants, queries
from ..guards import AccessError
from ..models import AccessGrant, GrantStatus
from .bulk import CONFIRMED_SUMMARY, bulk_summary
from .roster import STATE_MEANINGS, available, grant_form, member_page, page_of


@require_POST
def grant(request, pk):
    contract = permissions.contract_for(request.user, pk, Action.MANAGE_ROSTER)
    approved = queries.approved_services(contract)
    user_pk = request.POST.get("user", "")
    if not user_pk.isdigit():
        messages.error(request, "Choose the person to grant access to.")
        return redirect("access:roster", contract.pk)
    member_user = queries.person_of(contract, user_pk)
    if member_user is None:
        messages.error(request, "That person is not on this contract's roster.")
        return redirect("access:roster", contract.pk)
    live = queries.unrevoked_grants(contract, member_user)
    form = grant_form(member_user, available(approved, list(live)), "member", request.POST)
    if form.is_valid():
        service = Service.objects.filter(pk=form.cleaned_data["service"]).first()
        with refused_as_form_error(form, "service") as refusal:
            if service is None:
                raise AccessError("There is no such service.")
            grants.grant(request.user, contract, member_user, service)
        if not refusal:
            assert service is not None
            messages.success(request, f"Requested {member_user.full_name}'s access to "
                             f"{service.name}. The onboarding team confirms it once it is "
                             "set up.")
            if form.cleaned_data.get("origin") == "roster":
                return redirect(reverse("access:roster", args=[contract.pk])
                                + f"#member-{member_user.pk}")
            return redirect("access:member", contract.pk, member_user.pk)
    if not queries.is_member(contract, member_user) and not live.exists():
        messages.error(request, f"{member_user.full_name} is not on this contract's roster.")
        return redirect("access:roster", contract.pk)
    return member_page(request, contract, member_user, form=form, status=400)


def _on_grant(request, pk, grant_pk, action: Action, call, done: str, then,
              row: str | None = None) -> HttpResponse:
    """Confirm or revoke one grant: `done` names the person and the service; the person
    goes back to the page they acted from (`next`), else to `then(grant)`. With `row` (a
    list's row template), an htmx request gets that grant's row again, message inside."""
    contract = permissions.contract_for(request.user, pk, action)
    item = get_object_or_404(AccessGrant, pk=grant_pk, contract=contract)
    back = next_url(request, then(item))

    def partial(*, message: str = "", refused: bool = False, form=None) -> HttpResponse:
        assert row is not None
        return render(request, row, {
            "g": AccessGrant.objects.select_related("user", "contract", "service",
                                                    "requested_by")
                 .get(pk=item.pk),  # as saved: a refusal saved nothing
            "message": message, "refused": refused, "next_url": back,
        })

    return act(request, call=lambda _: call(request.user, item),
               done=lambda g: done.format(user=g.user.full_name, service=g.service.name),
               then=back, partial=partial if row else None)


@require_POST
def confirm_grant(request, pk, grant_pk):
    return _on_grant(request, pk, grant_pk, Action.CONFIRM_ACCESS, grants.confirm,
                     "{user}'s access to {service} is active.",
                     lambda item: reverse("access:pending"), row="access/roster/_pending_row.html")


@require_POST
def revoke_grant(request, pk, grant_pk):
    return _on_grant(request, pk, grant_pk, Action.MANAGE_ROSTER, grants.revoke,
                     "Revoked {user}'s access to {service}.",
                     lambda item: reverse("access:member", args=[pk, item.user_id]))


# --- A person's own access, and what waits for confirmation ---------------------------------


def my_access(request):
    own = list(queries.grants_of(request.user))
    with_grants = {g.contract_id for g in own}
    return render(request, "access/roster/mine.html", {
        "live": [g for g in own if g.status != GrantStatus.REVOKED],
        "ended": [g for g in own if g.status == GrantStatus.REVOKED],
        "without_grants": [r.contract for r in queries.rosters_of(request.user)
                           if r.contract_id not in with_grants],
        "meanings": STATE_MEANINGS,
    })


def pending_grants(request):
    user = request.user
    if not permissions.may_see_access_to_confirm(user):
        raise PermissionDenied("Only the onboarding team and service leads confirm access.")
    return render(request, "access/roster/pending.html", {
        "page": page_of(request, queries.waiting_for_confirmation(user)),
        "team": permissions.ONBOARDING_TEAM in permissions.team_roles(user),
        "summary": bulk_summary(request, CONFIRMED_SUMMARY),
        "max_items": bulk.MAX_ITEMS,
    })
