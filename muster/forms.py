"""Forms render as USWDS form groups: label, hint, error message tied to the input."""

from typing import TYPE_CHECKING

from django import forms
from django.forms.renderers import TemplatesSetting

from muster.uploads import pdf_problems

# The mixin is used on forms only: for mypy it is one (fields, errors), at run time not.
if TYPE_CHECKING:
    _Form = forms.BaseForm
else:
    _Form = object

WIDGET_CLASSES = {
    forms.CheckboxInput: "usa-checkbox__input",
    # Before RadioSelect: Django's CheckboxSelectMultiple is a RadioSelect subclass.
    forms.CheckboxSelectMultiple: "usa-checkbox__input",
    forms.RadioSelect: "usa-radio__input",
    forms.Select: "usa-select",
    forms.SelectMultiple: "usa-select",
    forms.Textarea: "usa-textarea",
    forms.ClearableFileInput: "usa-file-input",
    forms.FileInput: "usa-file-input",
}


class USWDSFormRenderer(TemplatesSetting):
    field_template_name = "forms/field.html"
    form_template_name = "forms/form.html"


def style_form[F: forms.BaseForm](form: F) -> F:
    """Give each widget of the form its USWDS class. Idempotent: forms that add fields later
    call it again."""
    for field in form.fields.values():
        widget = field.widget
        css = next(
            (c for kind, c in WIDGET_CLASSES.items() if isinstance(widget, kind)), "usa-input"
        )
        classes = widget.attrs.get("class", "").split()
        if css not in classes:
            widget.attrs["class"] = " ".join([*classes, css])
    return form


class USWDSMixin(_Form):
    """Give each widget its USWDS class."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_widgets()

    def style_widgets(self) -> None:
        style_form(self)

    @property
    def error_count(self) -> int:
        return len(self.errors)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePdfField(forms.FileField):
    """Several PDFs in one file input, each with the checks every PDF upload gets
    (muster/uploads.py); at most `max_files` when given."""

    def __init__(self, *args, max_files: int | None = None, **kwargs):
        self.max_files = max_files
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "application/pdf"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if not files and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        cleaned = [super().clean(f, initial) for f in files]
        if self.max_files is not None and len(cleaned) > self.max_files:
            raise forms.ValidationError(f"Attach at most {self.max_files} PDFs at once.")
        problems = pdf_problems(cleaned)
        if problems:
            raise forms.ValidationError(problems)
        return cleaned
