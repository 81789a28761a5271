"""A request's actions on its page (the version the person saw, questions, answers), the
eligibility meeting and the service leads' decisions."""

from typing import cast

from django import forms
from django.core.exceptions import ValidationError

from muster import clock
from muster.contracts.forms import DateInput
from muster.forms import USWDSMixin
from muster.validators import LONG_TEXT_MAX, SHORT_TEXT_MAX

from ..models import EligibilityMeeting

STALE = "This page is out of date: open the request again and retry."


class VersionedForm(USWDSMixin, forms.Form):
    """Carries the request version the person saw, to refuse a stale action."""

    version = forms.IntegerField(
        label="Request version", widget=forms.HiddenInput, min_value=1,
        error_messages={"required": STALE, "invalid": STALE, "min_value": STALE},
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
        self.eligible_choices = [(item.pk, item.service.name) for item in requested]
        cast(forms.ChoiceField, self.fields["eligible"]).choices = self.eligible_choices

    def clean_held_on(self):
        day = self.cleaned_data["held_on"]
        if day > clock.today():
            raise ValidationError("Record the meeting after it is held: the date is ahead.")
        return day

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        outcome, chosen = cleaned.get("outcome"), set(cleaned.get("eligible") or ())
        Outcome = EligibilityMeeting.Outcome
        if outcome and outcome != Outcome.ELIGIBLE and not cleaned.get("notes", "").strip():
            self.add_error("notes", "Say why the contractor is not eligible.")
        if outcome == Outcome.PARTLY:
            if not chosen:
                self.add_error("eligible", "Choose the services the contractor is eligible for.")
            elif len(chosen) == len(self.eligible_choices):
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
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("decision") == "deny" and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", "Give the reason for the denial.")
        return cleaned
