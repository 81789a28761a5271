"""allauth's sign-in and password-reset forms with Muster's limits: an email address has at
most 254 characters (what an account can hold), said before any password is tried, and
its label is "Email address"."""

from allauth.account.forms import LoginForm, ResetPasswordForm
from django.core.validators import MaxLengthValidator

EMAIL_MAX = 254


def _limit(field) -> None:
    field.label = "Email address"  # Muster's words since its first sign-in page
    field.widget.attrs.pop("placeholder", None)  # the label says it; a placeholder fades
    field.max_length = EMAIL_MAX
    field.widget.attrs["maxlength"] = str(EMAIL_MAX)
    if not any(isinstance(v, MaxLengthValidator) and v.limit_value == EMAIL_MAX
               for v in field.validators):
        field.validators.append(MaxLengthValidator(EMAIL_MAX))


class SignInForm(LoginForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _limit(self.fields["login"])
        self.fields["password"].widget.attrs.pop("placeholder", None)


class PasswordResetRequestForm(ResetPasswordForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _limit(self.fields["email"])
