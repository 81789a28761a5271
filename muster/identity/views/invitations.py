"""The invitation's pages: the link's page (choose a password, or sign in through the
agency's identity provider), the page that asks for a new link, and the team's or SO's
button that sends one again."""

from allauth.account.internal.flows.login import perform_password_login
from allauth.account.models import Login
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from muster.accounts import permissions
from muster.accounts.models import ContractRole
from muster.accounts.permissions import Action
from muster.actions import act, next_url

from .. import invitations
from ..forms import ChoosePasswordForm, NewLinkForm


def _no_referrer(response):
    """The link's token is in the address: never sent to another site (the identity
    provider's page, a help link). Same-origin, not no-referrer: the form's POST must keep
    its Origin for the CSRF check."""
    response["Referrer-Policy"] = "same-origin"
    return response


def _passwords_offered(user) -> bool:
    """Local passwords may be turned off for everyone but administrators (LOCAL_PASSWORDS):
    then the provider's sign-in is the only way in."""
    return settings.LOCAL_PASSWORDS or user.is_staff or user.is_superuser


def _expired(request, *, status=200):
    return _no_referrer(render(request, "identity/invitation_new.html", {
        "form": NewLinkForm(), "expired": True, "days": settings.INVITATION_DAYS,
    }, status=status))


@login_not_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def invitation(request, token):
    """GET shows the form (and changes nothing); POST sets the password, uses the link and
    signs the person in through django-allauth's flow (its later stages, such as the
    second factor, apply)."""
    found = invitations.find(token)
    if found is None:
        return _expired(request)
    user = found.user
    offered = _passwords_offered(user)
    form = ChoosePasswordForm(request.POST if request.method == "POST" else None, user=user)
    if request.method == "POST" and offered and form.is_valid():
        signed_in = invitations.accept(token, form.cleaned_data["password1"])
        if signed_in is None:  # used or replaced a moment ago
            return _expired(request)
        messages.success(request, "Your password is set. Welcome to Muster.")
        login = Login(user=signed_in, email=signed_in.email)
        return _no_referrer(perform_password_login(request, {"email": signed_in.email}, login))
    return _no_referrer(render(request, "identity/invitation.html", {
        "invitation": found, "person": user, "form": form if offered else None,
        "passwords_offered": offered,
    }, status=400 if form.errors else 200))


@login_not_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def new_link(request):
    """Ask for a new link. The answer is the same whether or not the address is Muster's:
    the page never says who has an account."""
    form = NewLinkForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        invitations.ask_for_new_link(form.cleaned_data["email"])
        return render(request, "identity/invitation_asked.html", {
            "email": form.cleaned_data["email"],
            "minutes": invitations.ASK_AGAIN_MINUTES,
        })
    return render(request, "identity/invitation_new.html", {"form": form, "expired": False},
                  status=400 if form.errors else 200)


@require_POST
def resend(request, pk, user_pk):
    """A new invitation to a person named on the contract: the team for anyone, the SO for
    the roster's users. The earlier link stops working."""
    contract = permissions.contract_for(request.user, pk, Action.VIEW_CONTRACT)
    roles = list(ContractRole.objects.filter(contract=contract, user_id=user_pk)
                 .select_related("user"))
    if not roles:
        raise Http404("This person is not named on this contract.")
    for role in roles:
        role.contract = contract
    allowed = [r for r in roles if permissions.may_resend_invitation(request.user, r)]
    if not allowed:
        raise PermissionDenied("Only the onboarding team, or the SO for the roster's users, "
                               "can send an invitation.")
    role = allowed[0]
    person = role.user
    return act(
        request, call=lambda _data: invitations.resend(request.user, role),
        done=f"A new invitation is on its way to {person.full_name} ({person.email}). "
             "The earlier link no longer works.",
        then=next_url(request, contract.get_absolute_url()),
    )
