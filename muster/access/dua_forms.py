"""Forms of the DUA page: upload a new signed DUA, mark the current one invalid."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

from muster import clock
from muster.contracts.forms import DateInput
from muster.forms import USWDSMixin
from muster.uploads import validate_pdf
from muster.validators import SHORT_TEXT_MAX, refuse_invisible_characters

from .queries import dua_services


class ServiceChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class DuaUploadForm(USWDSMixin, forms.Form):
    number = forms.CharField(
        label="DUA number", max_length=40,
        validators=[refuse_invisible_characters, RegexValidator(
            r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$",
            "A DUA number is letters, digits, spaces, dots, underscores or hyphens.",
        )],
    )
    effective_date = forms.DateField(label="Effective date", widget=DateInput())
    expiry_date = forms.DateField(label="Expiry date", widget=DateInput())
    services = ServiceChoices(
        label="Services this DUA covers", queryset=dua_services(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Only services that need a Data Use Agreement are listed.",
        error_messages={"required": "Choose the services this DUA covers."},
    )
    document = forms.FileField(
        label="Signed DUA (PDF)", help_text="PDF only.",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
        error_messages={"required": "Choose the signed DUA (a PDF file)."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        services = self.fields["services"]
        assert isinstance(services, ServiceChoices)
        services.queryset = dua_services()
        self.fields["document"].help_text = f"PDF only, up to {settings.MAX_UPLOAD_MB} MB."

    def clean_document(self):
        upload = self.cleaned_data.get("document")
        if upload:
            validate_pdf(upload)
        return upload

    def clean(self):
        cleaned = super().clean() or {}
        start, end = cleaned.get("effective_date"), cleaned.get("expiry_date")
        if end and end < clock.today():
            self.add_error("expiry_date", "This DUA has already expired: upload the current "
                           "one.")
        elif start and end and end <= start:
            self.add_error("expiry_date", "The DUA must expire after it takes effect.")
        return cleaned


class InvalidateForm(USWDSMixin, forms.Form):
    reason = forms.CharField(
        label="Why is this DUA not valid?", max_length=SHORT_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The SO and COR read this in the email that tells them access is paused.",
        error_messages={"required": "Say why this DUA is not valid."},
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError("Say why this DUA is not valid.")
        return reason
