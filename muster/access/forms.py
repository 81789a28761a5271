"""Forms of the roster pages. They check what a person can mistype; the services check
everything against Muster (approved services, the roster, HARP IDs held by others)."""

from django import forms

from muster.accounts.models import HARP_ID_RE, ContractRole
from muster.forms import USWDSMixin
from muster.validators import EMAIL_MAX, NAME_MAX, VISIBLE_ONLY

from . import roster_csv


class AddUserForm(USWDSMixin, forms.Form):
    full_name = forms.CharField(label="Full name", max_length=NAME_MAX, validators=VISIBLE_ONLY)
    email = forms.EmailField(label="Email address", max_length=EMAIL_MAX, validators=VISIBLE_ONLY)
    harp_id = forms.RegexField(
        label="HARP ID", regex=HARP_ID_RE, max_length=64, validators=VISIBLE_ONLY,
        help_text="Every contractor user needs a HARP ID: 3 to 64 letters, digits, dots, "
        "underscores or hyphens.",
        error_messages={"invalid": "Enter a HARP ID: 3 to 64 letters, digits, dots, "
                        "underscores or hyphens, starting with a letter or digit."},
    )


class GrantForm(USWDSMixin, forms.Form):
    """Grant one member access to one of the contract's approved services."""

    user = forms.IntegerField(widget=forms.HiddenInput)
    # Any number is accepted here: the service refuses, with a clear message, a service
    # that is not approved on the contract.
    service = forms.IntegerField(
        label="Service", widget=forms.Select,
        error_messages={"required": "Select a service.", "invalid": "Select a service."},
    )
    origin = forms.ChoiceField(choices=[("roster", "roster"), ("member", "member")],
                               required=False, widget=forms.HiddenInput)

    def __init__(self, *args, services=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].widget.choices = [("", "- Select a service -")] + [
            (s.pk, service_label(s)) for s in services
        ]


def service_label(service) -> str:
    """A service as the grant select offers it (the roster's rows build their own select
    with it: one form object per row cost more than the rest of the page)."""
    code = service.eua_job_code
    return f"{service.name}{f' (EUA job code {code})' if code else ''}"


class EuaCheckForm(USWDSMixin, forms.Form):
    """A roster member's EUA background check. `seen` carries the status the page showed,
    so a check someone else changed meanwhile is not overwritten."""

    eua_check = forms.ChoiceField(label="EUA background check",
                                  choices=ContractRole.EuaCheck.choices)
    seen = forms.CharField(required=False, max_length=16, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean() or {}
        if data.get("seen") and data["seen"] not in ContractRole.EuaCheck.values:
            # A hidden field: said at the top of the form, not beside a field.
            raise forms.ValidationError("This page was out of date. Check the EUA "
                                        "background check and choose again.")
        return data


class FilterForm(forms.Form):
    q = forms.CharField(label="Name or email", required=False, max_length=100)


class ImportForm(USWDSMixin, forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Columns full_name, email, harp_id and, if you like, services (names "
        "separated by semicolons, e.g. “Confluence; SAS Viya”). The first row names the "
        f"columns. At most {roster_csv.MAX_ROWS:,} users.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        error_messages={
            "required": "Choose the CSV file to upload.",
            "empty": f"The file is empty. {roster_csv.FORMAT_HINT}",
        },
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            self.parsed = roster_csv.parse(upload)
        except roster_csv.CsvError as error:
            raise forms.ValidationError(str(error)) from error
        return upload
