"""A person's own API tokens: the list, making one (shown once) and revoking one."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from muster import clock

from .. import services
from ..forms import PersonTokenForm
from .shared import recent_sign_in, shown_once

PAGE_SIZE = 50


def state_of(token, now) -> str:
    if token.revoked_at is not None:
        return "Revoked"
    return "Expired" if token.expires_at <= now else "Active"


def rows_of(tokens) -> list[dict]:
    now = clock.now()
    return [{"token": t, "state": state_of(t, now)} for t in tokens]


@require_http_methods(["GET", "HEAD"])
def token_list(request: HttpRequest) -> HttpResponse:
    mine = services.tokens_of(request.user).order_by("-created_at", "-pk")
    page = Paginator(mine, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "api/tokens/list.html", {
        "page": page,
        "rows": rows_of(page.object_list),
        "active": services.usable(mine).count(),
        "most": services.MAX_ACTIVE,
    })


@require_http_methods(["GET", "HEAD", "POST"])
@recent_sign_in
def new_token(request: HttpRequest) -> HttpResponse:
    form = PersonTokenForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            token, raw = services.make_personal_token(
                request.user, name=form.cleaned_data["name"], scope=form.cleaned_data["scope"],
                expires_at=form.expires_at())
        except services.TooManyTokens as refused:
            form.add_error(None, str(refused))
        else:
            return shown_once(request, "api/tokens/made.html", {"token": token, "raw": raw})
    at_most = services.usable(services.tokens_of(request.user)).count() >= services.MAX_ACTIVE
    return render(request, "api/tokens/new.html", {"form": form, "at_most": at_most,
                                                   "most": services.MAX_ACTIVE})


@require_http_methods(["GET", "HEAD", "POST"])
def revoke_token(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(services.tokens_of(request.user), pk=pk)
    if request.method == "POST":
        if services.revoke_own(request.user, token):
            messages.success(request, f"The token “{token.name}” is revoked: a call with it "
                             "is refused from now on.")
        else:
            messages.info(request, f"The token “{token.name}” was already revoked.")
        return redirect("api_pages:tokens")
    return render(request, "api/tokens/revoke.html", {"token": token,
                                                      "state": state_of(token, clock.now())})
