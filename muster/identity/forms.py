"""The invitation's forms: choosing a password, asking for a new link."""

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

from muster.forms import USWDSMixin

PASSWORD_MAX = 128  # Django hashes it; far longer than anyone types
EMAIL_MAX = 254


class ChoosePasswordForm(USWDSMixin, forms.Form):
    """The password a person chooses with their invitation, checked by Django's password
    validators (AUTH_PASSWORD_VALIDATORS) against their account. What they typed is never
    sent back to the page."""

    password1 = forms.CharField(
        label="Password", max_length=PASSWORD_MAX, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="The same password again", max_length=PASSWORD_MAX, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        rules = password_validation.password_validators_help_texts()
        self.fields["password1"].help_text = " ".join(rules)

    def clean_password1(self) -> str:
        password = self.cleaned_data["password1"]
        try:
            password_validation.validate_password(password, self.user)
        except ValidationError as error:
            raise ValidationError(" ".join(error.messages)) from error
        return password

    def clean(self):
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords are not the same. Type it again "
                                        "in both boxes.")
        return data


class NewLinkForm(USWDSMixin, forms.Form):
    email = forms.EmailField(
        label="Your email address", max_length=EMAIL_MAX,
        help_text="The address the invitation was sent to.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
