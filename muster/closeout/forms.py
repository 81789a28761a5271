"""The onboarding team's forms on a contract's closeout page: the data archive, the removal
of access, the new contractor's contract, and the undo of a re-award."""

from django import forms
from django.core.exceptions import ValidationError

from muster import clock
from muster.contracts.forms import DateInput
from muster.contracts.models import Contract
from muster.forms import USWDSMixin
from muster.onboarding.forms.notices import check_award_date, pop_start_before_award
from muster.validators import LONG_TEXT_MAX, NAME_MAX, SHORT_TEXT_MAX, VISIBLE_ONLY


class ArchiveForm(USWDSMixin, forms.Form):
    note = forms.CharField(
        label="What was archived, and where", max_length=LONG_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say what was archived and where."})

    def clean_note(self):
        note = self.cleaned_data["note"].strip()
        if not note:
            raise ValidationError("Say what was archived and where.")
        return note


class ConfirmRemovalForm(USWDSMixin, forms.Form):
    note = forms.CharField(
        label="Note (optional)", max_length=SHORT_TEXT_MAX, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For example, the ticket numbers of the removals in each service.")


class NewContractForm(USWDSMixin, forms.Form):
    """Scenario 2: the team starts the new contractor's contract from this one."""

    name = forms.CharField(label="New contract name", max_length=NAME_MAX, validators=VISIBLE_ONLY,
                           error_messages={"required": "Give the new contract's name."})
    contract_number = forms.CharField(
        label="New contract number", max_length=60, validators=VISIBLE_ONLY,
        error_messages={"required": "Give the new contract's number."})
    task_order_number = forms.CharField(label="Task order number", max_length=60,
                                        validators=VISIBLE_ONLY,
                                        required=False, help_text="If applicable.")
    award_date = forms.DateField(label="Award date", widget=DateInput(),
                                 error_messages={"required": "Give the award date."})
    pop_start = forms.DateField(label="Period of performance start", widget=DateInput(),
                                required=False, help_text="If known.")

    def clean_contract_number(self):
        number = self.cleaned_data["contract_number"].strip().upper()
        if Contract.objects.filter(contract_number__iexact=number).exists():
            raise ValidationError("A contract with this number is already in Muster.")
        return number

    def clean_award_date(self):
        day = self.cleaned_data["award_date"]
        check_award_date(day)  # the award notice's rule
        return day

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        start = cleaned.get("pop_start")
        if problem := pop_start_before_award(start, cleaned.get("award_date")):
            self.add_error("pop_start", problem)
        elif start and start < clock.today():
            # The intake form is due on the POP start: a start already past would make the
            # new contract's intake overdue the moment it is created.
            self.add_error("pop_start", "The period of performance cannot start in the past: "
                           "the new contractor's intake form is due on the day it starts. "
                           "Give today or a later date, or leave it empty until it is known.")
        return cleaned


class UndoReawardForm(USWDSMixin, forms.Form):
    """The onboarding team undoes a re-award before the carry-over, saying why."""

    reason = forms.CharField(
        label="Why the re-award is undone", max_length=SHORT_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The COR and the people named on both contracts read it in the email.",
        error_messages={"required": "Say why the re-award is undone."})

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError("Say why the re-award is undone.")
        return reason
