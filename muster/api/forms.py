"""The forms of the token pages: a person's token (name, scope, expiry) and a provisioning
client's (name, expiry). An expiry is a number of days from now or a date at most one year
away; the token works through that date."""

import datetime

from django import forms
from django.utils import timezone

from muster import clock
from muster.contracts.forms import DateInput
from muster.forms import USWDSMixin

from .models import ApiToken

ON_A_DATE = "date"
EXPIRY_CHOICES = [
    ("30", "30 days"),
    ("90", "90 days"),
    ("180", "180 days"),
    ("365", "One year"),
    (ON_A_DATE, "On a date I choose"),
]
LONGEST = datetime.timedelta(days=365)  # a date at most this far from today
NAME_MAX = ApiToken._meta.get_field("name").max_length


def _end_of(day: datetime.date) -> datetime.datetime:
    """The moment the day ends, where Muster is (the token works through `day`)."""
    return timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min))


class ExpiryForm(USWDSMixin, forms.Form):
    name = forms.CharField(max_length=NAME_MAX, strip=True)
    expiry = forms.ChoiceField(
        label="Expires", choices=EXPIRY_CHOICES, widget=forms.RadioSelect,
        help_text="A token stops working when it expires: at most one year from today.",
        error_messages={"required": "Choose when the token expires.",
                        "invalid_choice": "Choose when the token expires."})
    expires_on = forms.DateField(
        label="Date the token expires", required=False, widget=DateInput(),
        help_text="The token works through this day. For example: 2027-03-31.",
        error_messages={"invalid": "Enter a real date, for example 2027-03-31."})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].error_messages.update({
            "required": "Give the token a name.",
            "max_length": f"Use at most {NAME_MAX} characters.",
        })
        self.fields["expires_on"].widget.attrs.update({
            "min": (clock.today() + datetime.timedelta(days=1)).isoformat(),
            "max": (clock.today() + LONGEST).isoformat(),
        })

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("expiry") != ON_A_DATE or "expires_on" in self.errors:
            return data
        day = data.get("expires_on")
        today = clock.today()
        if day is None:
            self.add_error("expires_on", "Enter the date the token expires.")
        elif day <= today:
            self.add_error("expires_on", "Choose a date after today.")
        elif day > today + LONGEST:
            self.add_error("expires_on", "A token lasts at most one year: choose a date no "
                           f"later than {(today + LONGEST):%B} {(today + LONGEST).day}, "
                           f"{(today + LONGEST).year}.")
        return data

    def expires_at(self) -> datetime.datetime:
        choice = self.cleaned_data["expiry"]
        if choice == ON_A_DATE:
            return _end_of(self.cleaned_data["expires_on"])
        return clock.now() + datetime.timedelta(days=int(choice))


class PersonTokenForm(ExpiryForm):
    scope = forms.ChoiceField(
        label="What it may do",
        choices=[(ApiToken.Scope.READ, "Read only: see what you can see on the pages"),
                 (ApiToken.Scope.READ_WRITE,
                  "Read and write: also act as you (approve, add users, request access)")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what the token may do.",
                        "invalid_choice": "Choose what the token may do."})
    field_order = ["name", "scope", "expiry", "expires_on"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].label = "Name"
        self.fields["name"].help_text = ("What the token is for, so you know it again: "
                                         "for example “Nightly report”.")


class ClientTokenForm(ExpiryForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].label = "Provisioning client"
        self.fields["name"].help_text = ("The system that will call, and where: for example "
                                         "“Okta production”.")
        self.fields["name"].error_messages["required"] = "Name the provisioning client."
