"""A page's own form checks the API's input: what the page refuses with a form error, the
API refuses with a 422 problem naming the same field (as the caller sent it)."""

from collections.abc import Iterable, Mapping

from django import forms
from ninja.errors import ValidationError

from muster.access.guards import InvalidMember

# Where the body's fields are, as ninja names them ("body", the operation's parameter,
# then the field), so these errors read as ninja's own do.
BODY = ("body", "payload")


def invalid(errors: Mapping[str, Iterable[object]], names: Mapping[str, str] | None = None
            ) -> ValidationError:
    """A 422 with each field's messages; `names` maps a form's field to the API's."""
    names = names or {}
    return ValidationError([
        {"loc": (*BODY, names.get(field, field)) if field != "__all__" else BODY,
         "msg": str(message), "type": "invalid"}
        for field, messages in errors.items() for message in messages
    ])


def cleaned(form: forms.BaseForm, names: Mapping[str, str] | None = None) -> dict:
    """The form's cleaned data, or a 422 naming each field it refused."""
    if not form.is_valid():
        raise invalid(form.errors, names)
    return form.cleaned_data


def member_refused(error: InvalidMember) -> ValidationError:
    """A new roster member the roster's own checks refused (already on it, a HARP ID
    someone else holds...): invalid input, on the fields the page marks."""
    return invalid(error.errors)
