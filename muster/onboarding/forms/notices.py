"""The solicitation and award notices, and the award's date rules."""

import re

from django import forms
from django.core.exceptions import ValidationError

from muster import clock
from muster.contracts.forms import DateInput
from muster.contracts.models import Contract
from muster.forms import USWDSMixin
from muster.validators import LONG_TEXT_MAX, NAME_MAX, VISIBLE_ONLY

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
        number = self.cleaned_data["contract_number"].strip().upper()
        if Contract.objects.filter(contract_number__iexact=number).exists():
            raise ValidationError("A contract with this number is already in Muster.")
        return number

    PII_CHECKED = ("name", "requirements_summary")

    def clean(self):
        """Flag text that looks like personal data, on the field that holds it, unless the
        person confirmed it is not personal data."""
        super().clean()
        cleaned = self.cleaned_data
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
