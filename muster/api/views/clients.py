"""The team's provisioning clients: the tokens identity and provisioning systems (Okta,
Entra ID, ServiceNow) read /scim/v2/ with. Listed with their last call, issued (shown
once) and revoked by the onboarding team, its lead and administrators."""

from functools import wraps

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from muster import clock
from muster.accounts import permissions
from muster.errors import NotAllowed

from .. import services
from ..forms import ClientTokenForm
from .shared import recent_sign_in, shown_once
from .tokens import PAGE_SIZE, rows_of, state_of


def team_only(view):
    """Refused (403) before anything else, the request to confirm it is you included."""

    @wraps(view)
    def checked(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not permissions.allows(request.user, services.MANAGE_CLIENTS, None):
            raise NotAllowed("Only the onboarding team, its lead and administrators manage "
                             "provisioning clients.")
        return view(request, *args, **kwargs)

    return checked


@require_http_methods(["GET", "HEAD"])
@team_only
def client_list(request: HttpRequest) -> HttpResponse:
    clients = services.client_tokens().select_related("created_by").order_by(
        "-created_at", "-pk")
    page = Paginator(clients, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "api/clients/list.html", {"page": page,
                                                     "rows": rows_of(page.object_list)})


@require_http_methods(["GET", "HEAD", "POST"])
@team_only
@recent_sign_in
def new_client(request: HttpRequest) -> HttpResponse:
    form = ClientTokenForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        token, raw = services.issue_client_token(
            request.user, name=form.cleaned_data["name"], expires_at=form.expires_at())
        return shown_once(request, "api/clients/made.html", {"token": token, "raw": raw})
    return render(request, "api/clients/new.html", {"form": form})


@require_http_methods(["GET", "HEAD", "POST"])
@team_only
def revoke_client(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(services.client_tokens(), pk=pk)
    if request.method == "POST":
        if services.revoke_client_token(request.user, token):
            messages.success(request, f"The token of “{token.name}” is revoked: its calls "
                             "are refused from now on.")
        else:
            messages.info(request, f"The token of “{token.name}” was already revoked.")
        return redirect("api_pages:clients")
    return render(request, "api/clients/revoke.html", {"token": token,
                                                       "state": state_of(token, clock.now())})
