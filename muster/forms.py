"""Forms render as USWDS form groups: label, hint, error message tied to the input."""

from typing import TYPE_CHECKING

from django import forms
from django.forms.renderers import TemplatesSetting

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
