"""The intake form's screens: one form each, validating what a person can get wrong on it."""

import re

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

from muster import clock
from muster.accounts.models import (
    HARP_ID_RE,
    SO_AGAIN_AS_SPOC,
    ContractRole,
    User,
    so_again_as_spoc,
)
from muster.catalog.models import Service
from muster.contracts.forms import DateInput
from muster.contracts.models import Contract
from muster.forms import USWDSMixin
from muster.uploads import validate_pdf
from muster.validators import (
    EMAIL_MAX,
    LONG_TEXT_MAX,
    NAME_MAX,
    SHORT_TEXT_MAX,
    VISIBLE_ONLY,
    refuse_invisible_characters,
)

from .notices import pop_start_before_award


class ContractScreen(USWDSMixin, forms.Form):
    name = forms.CharField(label="Contract name", max_length=NAME_MAX, validators=VISIBLE_ONLY)
    contract_number = forms.CharField(label="Contract number", max_length=60,
                                      validators=VISIBLE_ONLY)
    task_order_number = forms.CharField(
        label="Task order number", max_length=60, required=False, help_text="If there is one.",
        validators=VISIBLE_ONLY,
    )
    pop_start = forms.DateField(label="Period of performance start", widget=DateInput())
    pop_end = forms.DateField(label="Period of performance end", widget=DateInput())

    def __init__(self, *args, contract=None, **kwargs):
        self.contract = contract
        super().__init__(*args, **kwargs)

    def clean_contract_number(self):
        number = self.cleaned_data["contract_number"].strip().upper()
        others = Contract.objects.filter(contract_number__iexact=number)
        if self.contract is not None:
            others = others.exclude(pk=self.contract.pk)
        if others.exists():
            raise ValidationError("Another contract in Muster has this number.")
        return number

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        start, end = cleaned.get("pop_start"), cleaned.get("pop_end")
        if start and end and end <= start:
            self.add_error("pop_end", "The period of performance must end after it starts.")
        award = self.contract.award_date if self.contract else None
        if problem := pop_start_before_award(start, award):
            self.add_error("pop_start", problem)
        return cleaned


class OrganizationScreen(USWDSMixin, forms.Form):
    name = forms.CharField(label="Organization name", max_length=NAME_MAX,
                           validators=VISIBLE_ONLY)
    harp_name = forms.CharField(
        label="HARP organization name", max_length=NAME_MAX, validators=VISIBLE_ONLY,
        help_text="Exactly as registered in HARP.",
    )


class TypeOfWorkScreen(USWDSMixin, forms.Form):
    type_of_work = forms.CharField(
        label="Type of work to be performed", widget=forms.Textarea(attrs={"rows": 6}),
        min_length=20, max_length=LONG_TEXT_MAX,
        help_text="What the contractor will do, in a few sentences.",
    )


PARTY_ROLES = [
    (ContractRole.Role.POC, "Contractor point of contact (POC)"),
    (ContractRole.Role.SO, "Security Official (SO)"),
    (ContractRole.Role.SPOC, "Security point of contact (SPOC)"),
]
SECURITY_ROLES = {ContractRole.Role.SO, ContractRole.Role.SPOC}
PHONE_RE = re.compile(r"^[0-9+().\-\s x]{7,32}$")


class PartiesScreen(USWDSMixin, forms.Form):
    """The COR's phone, and the POC, SO and SPOC: names, contacts, HARP IDs, EUA checks."""

    cor_phone = forms.CharField(label="COR: phone", max_length=32)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for role, label in PARTY_ROLES:
            self.fields[f"{role}_name"] = forms.CharField(
                label=f"{label}: full name", max_length=NAME_MAX, validators=VISIBLE_ONLY)
            self.fields[f"{role}_email"] = forms.EmailField(
                label=f"{label}: email", max_length=EMAIL_MAX, validators=VISIBLE_ONLY)
            self.fields[f"{role}_phone"] = forms.CharField(label=f"{label}: phone",
                                                           max_length=32)
            if role in SECURITY_ROLES:
                self.fields[f"{role}_harp_id"] = forms.CharField(
                    label=f"{label}: HARP ID", max_length=64, validators=VISIBLE_ONLY,
                    help_text="3 to 64 letters, digits, dots, underscores or hyphens.",
                )
                self.fields[f"{role}_eua_check"] = forms.ChoiceField(
                    label=f"{label}: EUA background check",
                    choices=[("", "Choose a status"), *ContractRole.EuaCheck.choices],
                )
        self.style_widgets()

    def groups(self):
        """Fields grouped by party, for fieldsets on the page."""
        yield "COR", [self["cor_phone"]]
        for role, label in PARTY_ROLES:
            yield label, [self[n] for n in self.fields if n.startswith(f"{role}_")]

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        for name, value in list(cleaned.items()):
            if name.endswith("_phone") and value and not PHONE_RE.match(value):
                self.add_error(name, "Enter a phone number, e.g. 555-0100 or (202) 555-0100.")
            if name.endswith("_harp_id") and value and not re.match(HARP_ID_RE, value):
                self.add_error(
                    name, "A HARP ID is 3 to 64 letters, digits, dots, underscores or hyphens, "
                    "starting with a letter or digit.",
                )
        for role in SECURITY_ROLES:
            harp_id, email = cleaned.get(f"{role}_harp_id"), cleaned.get(f"{role}_email")
            if harp_id and email and f"{role}_harp_id" not in self.errors and (
                User.objects.filter(harp_id__iexact=harp_id).exclude(email__iexact=email)
                .exists()
            ):
                self.add_error(
                    f"{role}_harp_id", "This HARP ID belongs to someone else in Muster: check "
                    "it, or check the email address.",
                )
        so = {key: cleaned.get(f"so_{key}") for key in ("email", "harp_id")}
        spoc = {key: cleaned.get(f"spoc_{key}") for key in ("email", "harp_id")}
        for key, what in so_again_as_spoc(so, spoc):
            if f"spoc_{key}" not in self.errors:
                self.add_error(f"spoc_{key}", SO_AGAIN_AS_SPOC.format(so="SO", what=what))
        return cleaned


class ServicesScreen(USWDSMixin, forms.Form):
    """One checkbox per offered service, with estimated users and a justification each."""

    def __init__(self, *args, services=None, **kwargs):
        self.services = list(services if services is not None
                             else Service.objects.filter(is_active=True))
        super().__init__(*args, **kwargs)
        for service in self.services:
            p = f"svc_{service.pk}"
            self.fields[f"{p}_selected"] = forms.BooleanField(
                label=f"Request {service.name}", required=False)
            self.fields[f"{p}_users"] = forms.IntegerField(
                label=f"{service.name}: estimated number of users", required=False,
                min_value=1, max_value=100000)
            self.fields[f"{p}_justification"] = forms.CharField(
                label=f"{service.name}: business justification", required=False,
                widget=forms.Textarea(attrs={"rows": 2}), max_length=SHORT_TEXT_MAX)
        self.style_widgets()

    def rows(self):
        for service in self.services:
            p = f"svc_{service.pk}"
            yield service, self[f"{p}_selected"], self[f"{p}_users"], self[f"{p}_justification"]

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        chosen = []
        for service in self.services:
            p = f"svc_{service.pk}"
            if not cleaned.get(f"{p}_selected"):
                continue
            chosen.append(service)
            if not cleaned.get(f"{p}_users"):
                self.add_error(f"{p}_users", f"Estimate how many people need {service.name}.")
            if not (cleaned.get(f"{p}_justification") or "").strip():
                self.add_error(f"{p}_justification", f"Say why the work needs {service.name}.")
        if not chosen:
            raise ValidationError("Choose at least one service the contract needs.")
        cleaned["chosen"] = [
            (s, cleaned.get(f"svc_{s.pk}_users"), cleaned.get(f"svc_{s.pk}_justification", ""))
            for s in chosen
        ]
        return cleaned


class DuaScreen(USWDSMixin, forms.Form):
    number = forms.CharField(
        label="DUA number", max_length=40,
        validators=[refuse_invisible_characters, RegexValidator(
            r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$",
            "A DUA number is letters, digits, spaces, dots, underscores or hyphens.",
        )],
    )
    effective_date = forms.DateField(label="Effective date", widget=DateInput(), required=False)
    expiry_date = forms.DateField(label="Expiry date", widget=DateInput())
    document = forms.FileField(
        label="Signed DUA (PDF)", required=False,
        help_text="Leave empty to keep the file already given.",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )

    def __init__(self, *args, has_document=False, **kwargs):
        self.has_document = has_document
        super().__init__(*args, **kwargs)
        hint = f"PDF only, up to {settings.MAX_UPLOAD_MB} MB."
        if has_document:
            hint += " Leave empty to keep the file already given."
        else:
            self.fields["document"].required = True
        self.fields["document"].help_text = hint

    def clean_document(self):
        upload = self.cleaned_data.get("document")
        if upload:
            validate_pdf(upload)
        return upload

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        start, end = cleaned.get("effective_date"), cleaned.get("expiry_date")
        if end and end < clock.today():
            self.add_error("expiry_date", "This DUA has expired: give the current one.")
        if start and end and end <= start:
            self.add_error("expiry_date", "The DUA must expire after it takes effect.")
        return cleaned
