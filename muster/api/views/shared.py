"""What both token pages share: a recent sign-in before a token is made (GitHub's "sudo
mode"), and the answer that shows a new token's secret once."""

from functools import wraps

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.decorators import reauthentication_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

# No app setting: allauth then asks for the password (or a code) unless the person signed
# in, or confirmed it was them, within ACCOUNT_REAUTHENTICATION_TIMEOUT (5 minutes).
_SENSITIVE = ""


def recent_sign_in(view):
    """Making a token asks the person to confirm it is them unless they signed in moments
    ago: a token outlives the session, so a session left open must not be enough.

    allauth asks for the password (or the authenticator's code) and then runs the
    request it held back. Someone with neither (signing in only through the agency's
    single sign-on, as contractor users do) is asked to sign in again instead."""
    confirmed = reauthentication_required(view)

    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        adapter = get_account_adapter(request)
        if (not adapter.get_reauthentication_methods(request.user)
                and adapter.is_reauthentication_required(app=_SENSITIVE)):
            return render(request, "api/sign_in_again.html",
                          {"back_to": request.get_full_path()})
        return confirmed(request, *args, **kwargs)

    return guarded


def shown_once(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    """The answer to the POST that made a token, with its secret: never stored by a browser
    or a proxy (no-store), never put in the session or an address, so it cannot be shown
    again."""
    response = render(request, template, context)
    add_never_cache_headers(response)
    return response
