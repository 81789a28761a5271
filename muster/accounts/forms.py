from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm

from muster.validators import EMAIL_MAX

from . import queries, services


class SignInForm(AuthenticationForm):
    """Email and password, with a lockout after repeated failures."""

    username = forms.EmailField(
        label="Email address", max_length=EMAIL_MAX,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    error_messages = {
        "invalid_login": "The email address or password is not right. Check both and try again.",
        "inactive": "This account is not active. Ask the onboarding team to restore it.",
        "locked_out": (
            "Too many failed sign-in attempts for this email address. Wait %(minutes)s minutes "
            "and try again, or ask the onboarding team for help."
        ),
    }

    def clean(self):
        email = self.cleaned_data.get("username")
        if email and queries.is_locked_out(email):
            raise forms.ValidationError(
                self.error_messages["locked_out"],
                code="locked_out",
                params={"minutes": settings.LOGIN_LOCKOUT_MINUTES},
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if email:
                services.note_failure(email, _client_ip(self.request))
            raise
        # Only a real sign-in clears the count (a blank password authenticates nobody).
        if email and self.user_cache is not None:
            services.clear_failures(email)
        return cleaned


def _client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") if request else None
