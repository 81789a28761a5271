"""Touch-point calls (with their PDF documents) and the post-onboarding survey."""

from typing import cast

from django import forms
from django.core.exceptions import ValidationError

from muster import clock
from muster.contracts.forms import DateInput
from muster.forms import MultiplePdfField, USWDSMixin
from muster.validators import LONG_TEXT_MAX

from ..models import SurveyResponse, TouchPointCall


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
        cast(forms.ChoiceField, self.fields["satisfaction"]).choices = (
            SurveyResponse.Satisfaction.choices)
