"""The form under a thread: the message, who sees it (for the team), whom to notify, and
PDFs to attach."""

from contextlib import suppress

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundField

from muster.forms import MultiplePdfField, USWDSMixin

from .models import BODY_MAX, Visibility
from .services import MAX_ATTACHMENTS


class PdfFiles(MultiplePdfField):
    """The thread's attachments: a browser never fills a file input again, so an error
    says the message is kept and the PDFs must be chosen again."""

    def clean(self, data, initial=None):
        try:
            return super().clean(data, initial)
        except ValidationError as error:
            raise ValidationError([*error.messages, (
                "Your message is kept below: choose the PDFs again (a page cannot keep a "
                "file you chose).")]) from error


# An empty form's fields as drawn, keyed by everything a field shows (its people's names
# and ids included); bounded, the oldest dropped first.
_DRAWN: dict[tuple, str] = {}
_DRAWN_MAX = 512


class DrawnOnce(BoundField):
    """A field of the thread's form: empty (the form not bound), it is drawn by the
    widgets' templates once a process for what it shows (they cost a quarter of the
    contract page); bound, with its values and errors, every time."""

    def as_field_group(self):
        if self.form.is_bound:
            return super().as_field_group()
        key = self._shows()
        html = _DRAWN.get(key)
        if html is None:
            if len(_DRAWN) >= _DRAWN_MAX:
                # Another thread may have dropped it (or changed the dict) meanwhile.
                with suppress(KeyError, StopIteration, RuntimeError):
                    del _DRAWN[next(iter(_DRAWN))]
            html = _DRAWN[key] = super().as_field_group()
        return html

    def _shows(self) -> tuple:
        field, widget = self.field, self.field.widget
        choices = tuple((str(v), str(label)) for v, label in getattr(field, "choices", ()))
        return (type(self.form), self.html_name, self.auto_id, str(self.label),
                str(self.help_text), field.required, field.disabled, type(widget),
                tuple(sorted(widget.attrs.items())), choices, repr(self.initial),
                self.form.use_required_attribute)


class EntryForm(USWDSMixin, forms.Form):
    bound_field_class = DrawnOnce
    body = forms.CharField(
        label="Your message", max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Write your message."},
    )
    visibility = forms.ChoiceField(
        label="Who sees it", widget=forms.RadioSelect, choices=Visibility.choices,
        error_messages={"required": "Choose who sees it: a shared comment or an internal "
                                    "note."},
    )
    notify = forms.TypedMultipleChoiceField(
        label="Notify by email", required=False, coerce=int, widget=forms.CheckboxSelectMultiple,
    )
    attachments = PdfFiles(label="Attach PDFs", required=False, max_files=MAX_ATTACHMENTS)

    def __init__(self, *args, candidates=(), internal: bool = False, **kwargs):
        """`candidates`: the people who may be notified (queries.Candidate); `internal`:
        the author may write internal notes (else every entry is a shared comment)."""
        kwargs.setdefault("auto_id", "entry_%s")
        super().__init__(*args, **kwargs)
        self.candidates = {c.user.pk: c for c in candidates}
        self.internal = internal
        notify = self.fields["notify"]
        assert isinstance(notify, forms.TypedMultipleChoiceField)
        notify.choices = [
            (c.user.pk, c.label + (" · reads internal notes" if internal and c.reads_internal
                                   else ""))
            for c in candidates]
        if internal:
            notify.help_text = ("Each person chosen gets an email with your message and a "
                                "link to it. An internal note can notify only the onboarding "
                                "team and its lead.")
        else:
            del self.fields["visibility"]
            notify.help_text = ("Each person chosen gets an email with your message and a "
                                "link to it.")
        if not candidates:
            del self.fields["notify"]
        self.fields["attachments"].help_text = (
            f"Optional. PDF only, up to {settings.MAX_UPLOAD_MB} MB each, at most "
            f"{MAX_ATTACHMENTS}.")

    @property
    def chosen_visibility(self) -> str:
        if not self.internal:
            return Visibility.SHARED
        return self.cleaned_data.get("visibility") or Visibility.SHARED

    def clean(self):
        cleaned = super().clean() or {}
        visibility = cleaned.get("visibility") if self.internal else Visibility.SHARED
        if visibility == Visibility.INTERNAL:
            cannot = [self.candidates[pk].user for pk in cleaned.get("notify") or []
                      if pk in self.candidates and not self.candidates[pk].reads_internal]
            if cannot:
                names = ", ".join(u.full_name or u.email for u in cannot)
                self.add_error("notify", f"An internal note cannot notify {names}: only the "
                               "onboarding team and its lead read internal notes. Uncheck "
                               "them, or make it a shared comment.")
        return cleaned

    def people(self) -> list:
        return [self.candidates[pk].user for pk in self.cleaned_data.get("notify") or []
                if pk in self.candidates]
