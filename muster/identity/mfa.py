"""The second factor (allauth.mfa: an authenticator app's codes, and recovery codes): offered
to everyone, required of the people who decide on access when settings.MFA_REQUIRED is on.

Required of the onboarding team, its lead, service leads and administrators (and any
staff or superuser account, who reach Django's admin site): once signed in without an
authenticator app, every page sends them to set one up, with a message saying why, until
they have. That is the first sign-in after it becomes required (or the next page, for
someone given such a role while signed in). The admin site signs in through allauth
(muster/urls.py), so it asks for the code too.
"""

from urllib.parse import urlencode

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.forms import ActivateTOTPForm
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.validators import MaxLengthValidator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from muster.accounts.models import TeamRole
from muster.accounts.permissions import team_roles

ROLES_THAT_NEED_IT = frozenset({
    TeamRole.Role.ONBOARDING_TEAM, TeamRole.Role.TEAM_LEAD, TeamRole.Role.SERVICE_LEAD,
    TeamRole.Role.ADMINISTRATOR,
})

WHY = (
    "Your role in Muster lets you decide on people's access, so your account needs a second "
    "factor. Set up an authenticator app now: after this, signing in asks for a code from it "
    "as well as your password."
)

# Pages a person who must enrol may still open: enrolment itself, the password or code
# check allauth asks for before it, and signing out. Static files are served before this.
_ALLOWED_URL_NAMES = (
    "mfa_activate_totp", "account_reauthenticate", "mfa_reauthenticate", "account_logout",
    # The probes and metrics (muster/operations): machines' answers, not pages.
    "healthz", "readyz", "metrics",
)


def must_use_second_factor(user) -> bool:
    if not settings.MFA_REQUIRED or not user.is_authenticated:
        return False
    return bool(user.is_staff or user.is_superuser or team_roles(user) & ROLES_THAT_NEED_IT)


def has_authenticator_app(user) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()


class SecondFactorRequired:
    """Sends a signed-in person who must use a second factor, and has none yet, to set one
    up. After AuthenticationMiddleware and MessageMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (user is not None and must_use_second_factor(user)
                and not has_authenticator_app(user)):
            if not self._allowed(request):
                return self._to_enrolment(request)
            if request.path == reverse("mfa_activate_totp") and self._cannot_confirm(request):
                return self._sign_in_again(request)
        return self.get_response(request)

    @staticmethod
    def _cannot_confirm(request: HttpRequest) -> bool:
        """Enrolment wants a recent sign-in, or the password again; someone who signs in
        only through single sign-on has no password to give (allauth would refuse)."""
        user = request.user
        return (user.is_authenticated and not user.has_usable_password()
                and get_account_adapter(request).is_reauthentication_required(
                    app="allauth.mfa"))

    @staticmethod
    def _sign_in_again(request: HttpRequest) -> HttpResponse:
        logout(request)
        messages.info(request, "Sign in again to set up your second factor.",
                      fail_silently=True)
        return HttpResponseRedirect(
            reverse("account_login") + "?" + urlencode({"next": reverse("mfa_activate_totp")}))

    @staticmethod
    def _allowed(request: HttpRequest) -> bool:
        if request.path.startswith(settings.STATIC_URL):
            return True
        return request.path in {reverse(name) for name in _ALLOWED_URL_NAMES}

    @staticmethod
    def _to_enrolment(request: HttpRequest) -> HttpResponse:
        messages.warning(request, WHY, fail_silently=True)
        url = reverse("mfa_activate_totp")
        if getattr(request, "htmx", False):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return HttpResponseRedirect(url)


class MFAAdapter(DefaultMFAAdapter):
    """Someone who must use a second factor cannot turn their authenticator app off (they
    would only be sent to set one up again); anyone else may."""

    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "cannot_delete_authenticator": (
            "Your role in Muster needs a second factor, so your authenticator app stays on. "
            "To move it to a new phone, ask the onboarding team to reset it."
        ),
        "incorrect_code": "That code is not right. Enter the 6-digit code your app shows now.",
    }

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        if authenticator.type != Authenticator.Type.TOTP:
            return True
        return not must_use_second_factor(authenticator.user)


# --- the code fields, in Muster's words ---------------------------------------------------

CODE_MAX = 20  # a code has 6 digits, a recovery code 8: anything longer is not one


def _code_field(form, label: str, hint: str) -> None:
    field = form.fields["code"]
    field.label = label
    field.help_text = hint
    field.max_length = CODE_MAX
    field.validators.append(MaxLengthValidator(CODE_MAX))
    field.widget.attrs.update({"inputmode": "numeric", "autocomplete": "one-time-code",
                               "maxlength": str(CODE_MAX), "spellcheck": "false"})
    field.widget.attrs.pop("placeholder", None)


class ActivateForm(ActivateTOTPForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _code_field(self, "Code from your app", "The 6 digits your app shows for Muster now.")


class AuthenticateCodeForm(AuthenticateForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _code_field(self, "Code", "The 6 digits your authenticator app shows for Muster now, "
                                  "or one of your 8-digit recovery codes.")


class ReauthenticateCodeForm(ReauthenticateForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _code_field(self, "Code", "The 6 digits your authenticator app shows for Muster now, "
                                  "or one of your 8-digit recovery codes.")
