"""The form under a thread: the message, who sees it (for the team), whom to notify, and
PDFs to attach."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.safestring import SafeString, mark_safe

from muster.forms import MultiplePdfField, USWDSMixin
from muster.remembered import Remembered

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


class EntryForm(USWDSMixin, forms.Form):
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


# Empty forms as drawn, keyed by everything one shows (its people's ids, names and roles,
# the upload limit).
_EMPTY: Remembered[SafeString] = Remembered(most=512)


def empty_form_html(candidates, internal: bool) -> SafeString:
    """The empty form for these people (queries.Candidate), as a page shows it: drawn once a
    process for what it shows. Building a form (a deep copy of its fields) and drawing it
    with the widgets' templates cost a twentieth of the contract page (issue 17); a form
    with the person's values and errors is drawn every time (the view's bound form)."""
    key = (internal, tuple((c.user.pk, c.label, c.reads_internal) for c in candidates),
           settings.MAX_UPLOAD_MB)  # in the attachments' help text
    return _EMPTY.get(key, lambda: mark_safe(  # noqa: S308 (the form's own drawing)
        str(EntryForm(candidates=candidates, internal=internal))))
