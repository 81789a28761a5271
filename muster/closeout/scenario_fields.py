"""The questions more than one closeout scenario asks, and the fields they are made of: a
new DUA (with its checks), a new SO and SPOC, the confirmed end of performance, the data to
archive, yes-or-no answers."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

from muster import clock
from muster.accounts.models import HARP_ID_RE
from muster.contracts.forms import DateInput
from muster.contracts.models import Contract
from muster.uploads import validate_pdf
from muster.validators import (
    EMAIL_MAX,
    LONG_TEXT_MAX,
    NAME_MAX,
    VISIBLE_ONLY,
    refuse_invisible_characters,
)

YES_NO = [("yes", "Yes"), ("no", "No")]
harp_id = RegexValidator(
    HARP_ID_RE, "Enter a HARP ID: 3 to 64 letters, digits, dots, underscores or hyphens, "
    "starting with a letter or digit.",
)
dua_number = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$",
    "A DUA number is letters, digits, spaces, dots, underscores or hyphens.",
)
DUA_FIELDS = ("dua_number", "dua_effective_date", "dua_expiry_date", "dua_document")
PEOPLE_FIELDS = ("new_so_name", "new_so_email", "new_so_harp_id", "new_spoc_name",
                 "new_spoc_email", "new_spoc_harp_id")


def yes_no(label: str, help_text: str = "", required_message: str = "") -> forms.Field:
    return forms.TypedChoiceField(
        label=label, choices=YES_NO, coerce=lambda value: value == "yes",
        widget=forms.RadioSelect, help_text=help_text,
        error_messages={"required": required_message or "Choose yes or no."},
    )


def long_date(day: datetime.date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def data_to_archive_question(required_message: str, label: str, help_text: str) -> forms.Field:
    return forms.CharField(
        label=label, max_length=LONG_TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=help_text, error_messages={"required": required_message},
    )



class NewDuaFields(forms.Form):
    """The new or updated DUA, given with a re-award or an extension."""

    dua_number = forms.CharField(label="New DUA: number", max_length=40, required=False,
                                 validators=[refuse_invisible_characters, dua_number])
    dua_effective_date = forms.DateField(label="New DUA: effective date", required=False,
                                         widget=DateInput())
    dua_expiry_date = forms.DateField(label="New DUA: expiry date", required=False,
                                      widget=DateInput())
    dua_document = forms.FileField(
        label="New DUA: signed PDF", required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}))

    def clean_dua_document(self):
        upload = self.cleaned_data.get("dua_document")
        if upload:
            validate_pdf(upload)
        return upload

    def _check_new_dua(self, cleaned: dict, required: bool, why: str) -> None:
        """The new DUA's number, dates and PDF: all required when `required`; all or none
        otherwise (a number without a PDF is a half-given DUA)."""
        names = ("dua_number", "dua_expiry_date", "dua_document")
        given = [n for n in names if cleaned.get(n)]
        if not required and not given and not cleaned.get("dua_effective_date"):
            return
        messages = {
            "dua_number": f"Give the new DUA's number: {why}",
            "dua_expiry_date": f"Give the date the new DUA expires: {why}",
            "dua_document": f"Choose the new signed DUA (a PDF): {why}",
        }
        for name in names:
            if not cleaned.get(name) and name not in self.errors:
                self.add_error(name, messages[name])
        start, end = cleaned.get("dua_effective_date"), cleaned.get("dua_expiry_date")
        if end and end < clock.today():
            self.add_error("dua_expiry_date", "This DUA has already expired: give the "
                           "current one.")
        elif start and end and end <= start:
            self.add_error("dua_expiry_date", "The DUA must expire after it takes effect.")


HINT_PEOPLE = "Only if the SO and SPOC change."


def _person_fields(role: str) -> dict[str, forms.Field]:
    """A new SO's or SPOC's name, email and HARP ID (`role`: "SO" or "SPOC")."""
    return {
        "name": forms.CharField(label=f"New {role}: full name", max_length=NAME_MAX,
                                required=False, validators=VISIBLE_ONLY, help_text=HINT_PEOPLE),
        "email": forms.EmailField(label=f"New {role}: email", required=False,
                                  max_length=EMAIL_MAX, validators=VISIBLE_ONLY,
                                  help_text=HINT_PEOPLE),
        "harp_id": forms.CharField(label=f"New {role}: HARP ID", max_length=64, required=False,
                                   validators=[refuse_invisible_characters, harp_id],
                                   help_text=HINT_PEOPLE),
    }


_SO, _SPOC = _person_fields("SO"), _person_fields("SPOC")


class NewPeopleFields(forms.Form):
    """A re-award's new SO and SPOC."""

    new_so_name, new_so_email, new_so_harp_id = _SO["name"], _SO["email"], _SO["harp_id"]
    new_spoc_name, new_spoc_email, new_spoc_harp_id = (
        _SPOC["name"], _SPOC["email"], _SPOC["harp_id"])


class PopEndConfirmed(forms.Form):
    contract: Contract
    pop_end_confirmed = forms.DateField(
        label="End date of the current contractor's period of performance",
        widget=DateInput(),
        help_text="Confirm it, or correct it if the contract ends earlier. Access is "
        "removed on this date.",
        error_messages={"required": "Confirm the date the period of performance ends."})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.contract.pop_end:
            self.initial.setdefault("pop_end_confirmed", self.contract.pop_end)

    def clean_pop_end_confirmed(self):
        day = self.cleaned_data["pop_end_confirmed"]
        if day < clock.today():
            raise ValidationError("The end date cannot be in the past.")
        if self.contract.pop_end and day > self.contract.pop_end:
            raise ValidationError(
                f"This is later than the current end ({long_date(self.contract.pop_end)}): "
                "a later end is an extension (scenario 4).")
        return day


def archive_question() -> forms.Field:
    return data_to_archive_question(
        "Say which data needs to be archived, or write “None”.",
        "Data the contractor worked on for CMS that needs to be archived",
        "Write “None” if no data needs to be archived.")

