from django import forms

from muster.forms import USWDSMixin

from .findings import KINDS


class FindingFilterForm(USWDSMixin, forms.Form):
    """The page's and the CSV's filter, read from the query string (a bad value: every kind)."""

    kind = forms.ChoiceField(
        label="Kind of finding", required=False,
        choices=[("", "Every kind"), *((k.slug, k.label) for k in KINDS.values())],
    )

    def kinds(self) -> list[str]:
        self.is_valid()
        kind = getattr(self, "cleaned_data", {}).get("kind") or ""
        return [kind] if kind else list(KINDS)
