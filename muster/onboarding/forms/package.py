"""Touch-point calls (with their PDF documents) and the post-onboarding survey."""

from typing import cast

from django import forms
from django.core.exceptions import ValidationError

from muster import clock
from muster.contracts.forms import DateInput
from muster.forms import USWDSMixin
from muster.uploads import validate_pdf
from muster.validators import LONG_TEXT_MAX

from ..models import SurveyResponse, TouchPointCall


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
        errors: list[str] = []
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
        cast(forms.ChoiceField, self.fields["satisfaction"]).choices = (
            SurveyResponse.Satisfaction.choices)
