"""The campaign form (name, due date, every active contract or the chosen ones) and the
SO's decision form (one grant, or the chosen ones with one decision)."""

from django import forms

from muster.forms import USWDSMixin
from muster.validators import NAME_MAX, refuse_invisible_characters

from .models import Decision, Scope
from .queries import contracts_in_scope


class ContractChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name} ({obj.contract_number})"


class CampaignForm(USWDSMixin, forms.Form):
    name = forms.CharField(
        label="Name", max_length=NAME_MAX, validators=[refuse_invisible_characters],
        help_text="What the SOs see, e.g. “Access review, first quarter 2027”.")
    due_date = forms.DateField(
        label="Due date", widget=forms.DateInput(attrs={"type": "date"}),
        help_text="A business day after today. On that date access nobody certified pauses.")
    scope = forms.ChoiceField(
        label="Contracts", choices=Scope.choices, initial=Scope.ALL,
        widget=forms.RadioSelect)
    contracts = ContractChoice(
        label="Chosen contracts", queryset=None, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only with “Chosen contracts”: running contracts with access to certify.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contracts"].queryset = contracts_in_scope()  # type: ignore[attr-defined]

    def clean(self):
        data = super().clean() or {}
        if data.get("scope") == Scope.CHOSEN and not data.get("contracts"):
            self.add_error("contracts", "Choose at least one contract.")
        return data


class DecisionForm(forms.Form):
    """`one` ("<item>:<decision>", a row's button), or `items` with `decision` (the bulk
    form): both come from one HTML form, so the page needs no JavaScript."""

    one = forms.RegexField(regex=r"^\d{1,12}:(keep|remove)$", required=False, max_length=24)
    items = forms.TypedMultipleChoiceField(coerce=int, required=False, choices=())
    decision = forms.ChoiceField(choices=[("", "Choose"), *Decision.choices], required=False)

    def __init__(self, *args, item_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = [(i, str(i)) for i in item_ids]  # type: ignore[attr-defined]

    def clean(self):
        data = super().clean() or {}
        one = data.get("one")
        if one:
            item, decision = one.split(":")
            data["chosen"], data["chosen_decision"] = [int(item)], decision
            return data
        if not data.get("items"):
            self.add_error("items", "Choose at least one grant.")
        if not data.get("decision"):
            self.add_error("decision", "Choose “Still needed” or “Remove”.")
        data["chosen"], data["chosen_decision"] = data.get("items"), data.get("decision")
        return data
