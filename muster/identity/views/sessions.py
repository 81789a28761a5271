"""The session warning's two requests (muster/static/session-warning.js): how long is left
(GET, which is not activity and changes nothing; it answers a signed-out visitor too) and
"Stay signed in" (POST, CSRF-checked, which is activity: the middleware notes it). A
session that ends on one of these requests is answered in JSON by the middleware."""

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from .. import sessions


def _answer(request) -> JsonResponse:
    signed_in = request.user.is_authenticated
    return JsonResponse({
        "signed_in": signed_in,
        "seconds_left": sessions.seconds_left(request.session) if signed_in else 0,
        "sign_in_url": reverse("account_login"),
    })


@login_not_required
@never_cache
@require_safe
def session_status(request):
    return _answer(request)


@never_cache
@require_POST
def keep_alive(request):
    """Signed out already: the sign-in page, as for any page (the script follows it)."""
    return _answer(request)
