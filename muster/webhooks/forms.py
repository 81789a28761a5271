"""The endpoint form: its address, what it is, the event types it wants (checkboxes)."""

from django import forms

from muster.forms import USWDSMixin
from muster.validators import refuse_invisible_characters

from .addresses import url_problem
from .models import URL_MAX_LENGTH, EventType


class EndpointForm(USWDSMixin, forms.Form):
    url = forms.CharField(
        label="URL", max_length=URL_MAX_LENGTH,
        help_text="Where Muster sends each event, as an HTTP POST: https://… (http:// only "
                  "outside production).",
        widget=forms.URLInput(attrs={"autocomplete": "url", "spellcheck": "false"}),
    )
    description = forms.CharField(
        label="Description", max_length=200, required=False,
        validators=[refuse_invisible_characters],
        help_text="Which system this is, and who runs it.",
    )
    event_types = forms.MultipleChoiceField(
        label="Event types", choices=EventType.choices, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event type."},
    )

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        problem = url_problem(url)
        if problem:
            raise forms.ValidationError(problem)
        return url
