"""Forms of the onboarding flow. Each intake screen is one form; it validates everything
a person can get wrong on that screen, server-side."""

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

from .models import EligibilityMeeting, SurveyResponse, TouchPointCall

# Text that looks like personal data has no place in a notice contractors can read.
PII_PATTERNS = {
    "a Social Security number": re.compile(r"\b\d{3}-?\d{2}-?\d{4}\b"),
    "a phone number": re.compile(r"(?:\+?1[\s.-]?)?\(?\b\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}\b"),
    # Starts only where a run of such characters starts: linear, not quadratic, in length.
    "an email address": re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+\.[\w.-]+"),
}


def pii_found(text: str) -> list[str]:
    return [label for label, pattern in PII_PATTERNS.items() if pattern.search(text or "")]


class SolicitationForm(USWDSMixin, forms.Form):
    name = forms.CharField(label="Contract name", max_length=NAME_MAX, validators=VISIBLE_ONLY)
    contract_number = forms.CharField(
        label="Solicitation or contract number", max_length=60, validators=VISIBLE_ONLY,
        help_text="As published, e.g. 75FCMC26R0042.",
    )
    estimated_award_date = forms.DateField(label="Estimated award date", widget=DateInput())
    requirements_summary = forms.CharField(
        label="High-level service requirements", widget=forms.Textarea(attrs={"rows": 5}),
        max_length=LONG_TEXT_MAX,
        help_text="Which IT services the contract will likely need. Public, non-sensitive "
        "information only: contractors can read this notice.",
    )
    confirm_no_pii = forms.BooleanField(
        label="The flagged text is not personal data: save it as it is", required=False,
        help_text="For example, a public help-desk number or a published mailbox.",
    )

    def clean_estimated_award_date(self):
        day = self.cleaned_data["estimated_award_date"]
        if day < clock.today():
            raise ValidationError("The estimated award date cannot be in the past.")
        return day

    def clean_contract_number(self):
        from muster.contracts.models import Contract

        number = self.cleaned_data["contract_number"].strip().upper()
        if Contract.objects.filter(contract_number__iexact=number).exists():
            raise ValidationError("A contract with this number is already in Muster.")
        return number

    PII_CHECKED = ("name", "requirements_summary")

    def clean(self):
        """Flag text that looks like personal data, on the field that holds it, unless the
        person confirmed it is not personal data."""
        cleaned = super().clean()
        if cleaned.get("confirm_no_pii"):
            return cleaned
        for name in self.PII_CHECKED:
            found = pii_found(cleaned.get(name, ""))
            if found:
                self.add_error(name, ValidationError(
                    "This looks like it contains %(what)s. Remove personal data before "
                    "saving: only public, non-sensitive information belongs in a "
                    "solicitation notice. If it is not personal data, tick the box below.",
                    params={"what": " and ".join(found)}, code="pii",
                ))
        return cleaned

    @property
    def pii_flagged(self) -> bool:
        """Show the confirm box: text was flagged, or the person already ticked it."""
        return bool(self.is_bound and (
            any(self.has_error(name, "pii") for name in self.PII_CHECKED)
            or self["confirm_no_pii"].value()
        ))


# The award's date rules, in one place: the award notice and intake check them here, and
# so does closeout when the team starts a new contractor's contract.


def check_award_date(day):
    """An award is recorded once it has happened."""
    if day > clock.today():
        raise ValidationError("Record the award once it has happened: the date is ahead.")


def pop_start_before_award(start, award) -> str:
    """Why this period of performance cannot start then, or "" when it can."""
    if start and award and start < award:
        return f"The period of performance cannot start before the award ({award:%B %-d, %Y})."
    return ""


class AwardForm(USWDSMixin, forms.Form):
    award_date = forms.DateField(label="Award date", widget=DateInput())

    def clean_award_date(self):
        day = self.cleaned_data["award_date"]
        check_award_date(day)
        return day


# --- Intake screens ------------------------------------------------------------------


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
        from muster.contracts.models import Contract

        number = self.cleaned_data["contract_number"].strip().upper()
        others = Contract.objects.filter(contract_number__iexact=number)
        if self.contract is not None:
            others = others.exclude(pk=self.contract.pk)
        if others.exists():
            raise ValidationError("Another contract in Muster has this number.")
        return number

    def clean(self):
        cleaned = super().clean()
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
        cleaned = super().clean()
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
        cleaned = super().clean()
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
        cleaned = super().clean()
        start, end = cleaned.get("effective_date"), cleaned.get("expiry_date")
        if end and end < clock.today():
            self.add_error("expiry_date", "This DUA has expired: give the current one.")
        if start and end and end <= start:
            self.add_error("expiry_date", "The DUA must expire after it takes effect.")
        return cleaned


# --- Review, approvals, package, calls, survey --------------------------------------


class VersionedForm(USWDSMixin, forms.Form):
    """Carries the request version the person saw, to refuse a stale action."""

    version = forms.IntegerField(
        label="Request version", widget=forms.HiddenInput, min_value=1,
        error_messages={
            "required": "This page is out of date: open the request again and retry.",
            "invalid": "This page is out of date: open the request again and retry.",
            "min_value": "This page is out of date: open the request again and retry.",
        },
    )


class QuestionForm(VersionedForm):
    text = forms.CharField(label="Question for the COR and POC", max_length=LONG_TEXT_MAX,
                           widget=forms.Textarea(attrs={"rows": 4}))


class AnswerForm(VersionedForm):
    answer = forms.CharField(label="Your answer", max_length=LONG_TEXT_MAX,
                             widget=forms.Textarea(attrs={"rows": 4}))


class MeetingForm(VersionedForm):
    held_on = forms.DateField(label="Meeting date", widget=DateInput())
    attendees = forms.CharField(label="Attendees", widget=forms.Textarea(attrs={"rows": 3}),
                                max_length=SHORT_TEXT_MAX,
                                help_text="One per line.")
    outcome = forms.ChoiceField(label="Outcome", choices=EligibilityMeeting.Outcome.choices,
                                widget=forms.RadioSelect)
    eligible = forms.TypedMultipleChoiceField(
        label="Services the contractor is eligible for", required=False, coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only with “Eligible for some services”. These go to their service leads; "
                  "the others are closed as not eligible, with the notes as the reason.",
    )
    notes = forms.CharField(label="Notes", required=False, max_length=LONG_TEXT_MAX,
                            widget=forms.Textarea(attrs={"rows": 4}),
                            help_text="Required unless the contractor is eligible for every "
                                      "service: the COR and POC read why.")

    def __init__(self, *args, requested=(), **kwargs):
        """`requested`: the request's services still waiting for a decision."""
        super().__init__(*args, **kwargs)
        self.fields["eligible"].choices = [(item.pk, item.service.name) for item in requested]

    def clean_held_on(self):
        day = self.cleaned_data["held_on"]
        if day > clock.today():
            raise ValidationError("Record the meeting after it is held: the date is ahead.")
        return day

    def clean(self):
        cleaned = super().clean()
        outcome, chosen = cleaned.get("outcome"), set(cleaned.get("eligible") or ())
        Outcome = EligibilityMeeting.Outcome
        if outcome and outcome != Outcome.ELIGIBLE and not cleaned.get("notes", "").strip():
            self.add_error("notes", "Say why the contractor is not eligible.")
        if outcome == Outcome.PARTLY:
            if not chosen:
                self.add_error("eligible", "Choose the services the contractor is eligible for.")
            elif len(chosen) == len(self.fields["eligible"].choices):
                self.add_error("eligible", "Leave out the services the contractor is not "
                               "eligible for (all chosen means “Eligible for the requested "
                               "services”).")
        elif chosen:
            self.add_error("eligible", "Choose services only with “Eligible for some "
                           "services”.")
        return cleaned


class DecisionForm(USWDSMixin, forms.Form):
    decision = forms.ChoiceField(
        label="Decision", widget=forms.RadioSelect,
        choices=[("approve", "Approve"), ("deny", "Deny")],
    )
    reason = forms.CharField(label="Reason", required=False, max_length=SHORT_TEXT_MAX,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="Required for a denial; the COR and contractor see it.")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "deny" and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", "Give the reason for the denial.")
        return cleaned


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePdfField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "application/pdf"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if not files and self.required:
            raise ValidationError(self.error_messages["required"], code="required")
        cleaned = [super(MultiplePdfField, self).clean(f, initial) for f in files]
        errors = []
        for upload in cleaned:
            try:
                validate_pdf(upload)
            except ValidationError as error:
                errors.extend(f"{upload.name}: {message}" for message in error.messages)
        if errors:
            raise ValidationError(errors)
        return cleaned


class CallForm(USWDSMixin, forms.Form):
    held_on = forms.DateField(label="Call date", widget=DateInput())
    topics = forms.MultipleChoiceField(
        label="Topics", choices=TouchPointCall.Topic.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    outcome = forms.CharField(label="Outcome", widget=forms.Textarea(attrs={"rows": 3}),
                              max_length=LONG_TEXT_MAX)
    notes = forms.CharField(label="Notes", required=False, max_length=LONG_TEXT_MAX,
                            widget=forms.Textarea(attrs={"rows": 4}))
    documents = MultiplePdfField(label="Documents (PDF)", required=False,
                                 help_text="Minutes, templates shared, and the like.")

    def clean_held_on(self):
        day = self.cleaned_data["held_on"]
        if day > clock.today():
            raise ValidationError("Record the call after it is held: the date is ahead.")
        return day


class SurveyForm(USWDSMixin, forms.ModelForm):
    class Meta:
        model = SurveyResponse
        fields = ["satisfaction", "went_well", "to_improve"]
        widgets = {
            "satisfaction": forms.RadioSelect,
            "went_well": forms.Textarea(attrs={"rows": 3}),
            "to_improve": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"satisfaction": "Overall, how satisfied are you with onboarding?"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["satisfaction"].required = True
        self.fields["satisfaction"].choices = SurveyResponse.Satisfaction.choices
