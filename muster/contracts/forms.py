import threading
from collections import OrderedDict
from typing import cast
from urllib.parse import urlencode

from django import forms
from django.http import QueryDict
from django.urls import reverse_lazy

from muster.accounts.models import User
from muster.catalog.models import Service
from muster.compiled import Compiled
from muster.forms import USWDSMixin
from muster.validators import EMAIL_MAX, NAME_MAX, SHORT_TEXT_MAX

from . import cor_filter
from .models import Contract, SavedView, Stage
from .queries import SORTS


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


SORT_CHOICES = [
    ("name", "Name (A–Z)"), ("-name", "Name (Z–A)"),
    ("number", "Contract number"), ("-number", "Contract number, descending"),
    ("stage", "Stage"), ("next_due", "Next step due"),
    ("pop_end", "End of performance, soonest"), ("-pop_end", "End of performance, latest"),
]


# ContractFilterForm.shown_fields's renderings, the most recently shown kept.
_SHOWN: OrderedDict[tuple, dict[str, str]] = OrderedDict()
_SHOWN_MAX = 256
_SHOWN_LOCK = threading.Lock()


# The service select's options, read on every list page by a query built once per process.
_SERVICE_CHOICES = Compiled(lambda: Service.objects.values_list("pk", "name"))


class ContractFilterForm(USWDSMixin, forms.Form):
    """The contract list's search, filters and sort (read from the query string)."""

    q = forms.CharField(label="Search", required=False, max_length=100,
                        help_text="Name, contract number or organization")
    stage = forms.ChoiceField(label="Stage", required=False,
                              choices=[("", "Any stage"), *Stage.choices])
    # A text field, not a select of every COR (issue 17): a name or email, or "Name <email>"
    # as the combobox fills it; a saved view's COR id (cor_filter.py).
    cor = forms.CharField(
        label="COR", required=False, max_length=NAME_MAX + EMAIL_MAX + 3,
        help_text="Name or email",
        widget=forms.TextInput(attrs={"data-suggestions": reverse_lazy("contracts:cors"),
                                      "spellcheck": "false"}),
    )
    service = forms.ModelChoiceField(label="Service", required=False, empty_label="Any service",
                                     queryset=Service.objects.all())
    overdue = forms.BooleanField(label="Only contracts with an overdue step", required=False)
    sort = forms.ChoiceField(label="Sort by", required=False, choices=SORT_CHOICES)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_cor(self) -> User | str | None:
        """A COR (an id or a label: exactly them), or words matching at least one COR the
        person may see; an id of no such COR, or words matching none, is an error."""
        text = cor_filter.words(self.cleaned_data["cor"])
        if not text:
            return None
        pk = cor_filter.as_id(text)
        if pk is not None:
            cor = cor_filter.cor_holder(self.user, pk=pk)
            if cor is None:
                raise forms.ValidationError("This COR is not on any contract you can see.",
                                            code="unknown")
            return cor
        email = cor_filter.labelled_email(text)
        if email and (cor := cor_filter.cor_holder(self.user, email=email)):
            return cor
        if not cor_filter.matching(cor_filter.cor_holders(self.user), text).exists():
            raise forms.ValidationError(
                f"No COR of the contracts you can see matches “{text}”.", code="no_match")
        return text

    def shown_fields(self) -> dict[str, str]:
        """Each field as the list shows it (its `as_field_group`), rendered once for each
        distinct thing the fields show (issue 17: six field templates were a fifth of the
        list's time). The HTML is a function of the field's value, its errors and the
        service select's choices, which the key holds, and of the code and templates, which
        do not change while a process runs: so a kept rendering is the one this form would
        render."""
        # The service select's choices, read as rows (the field's own iterator opened a
        # server-side cursor for them); the same options, in the queryset's order.
        field = cast(forms.ModelChoiceField, self.fields["service"])
        services = tuple(_SERVICE_CHOICES.rows())  # the field's queryset
        field.widget.choices = [("", field.empty_label), *services]
        key = (services, *((name, repr(bound.value()), tuple(map(str, bound.errors)))
                          for name, bound in ((n, self[n]) for n in self.fields)))
        with _SHOWN_LOCK:
            shown = _SHOWN.get(key)
            if shown is not None:
                _SHOWN.move_to_end(key)
                return shown
        shown = {name: self[name].as_field_group() for name in self.fields}
        with _SHOWN_LOCK:
            _SHOWN[key] = shown
            while len(_SHOWN) > _SHOWN_MAX:
                _SHOWN.popitem(last=False)
        return shown

    def filters(self) -> dict:
        # A bad value drops only that filter: cleaned_data keeps every valid field. Words
        # that match no COR still filter (to nothing), with their message.
        self.is_valid()
        data = self.cleaned_data
        sort = data.get("sort") or "name"
        cor = data.get("cor")
        if self.has_error("cor", "no_match"):
            cor = cor_filter.words(self.data.get("cor") or "")
        # Show a COR by name (not by id), and words as they filter.
        shown = cor_filter.label(cor) if isinstance(cor, User) else cor
        if shown and self.data.get("cor") != shown:
            self.data = {**self.data, "cor": shown}  # what the field shows
        return {
            "q": (data.get("q") or "").strip(),
            "stage": data.get("stage") or "",
            "cor": cor,
            "service": data.get("service"),
            "overdue": bool(data.get("overdue")),
            "sort": sort if sort in SORTS else "name",
        }


def query_of(chosen: dict) -> str:
    """The list's query string for filters as ContractFilterForm.filters() gives them."""
    pairs: list[tuple[str, str]] = []
    if chosen["q"]:
        pairs.append(("q", chosen["q"]))
    if chosen["stage"]:
        pairs.append(("stage", chosen["stage"]))
    cor = chosen["cor"]
    if cor:  # a COR by their id, as saved views always held them; words as typed
        pairs.append(("cor", str(cor.pk) if isinstance(cor, User) else cor))
    if chosen["service"] is not None:
        pairs.append(("service", str(chosen["service"].pk)))
    if chosen["overdue"]:
        pairs.append(("overdue", "on"))
    if chosen["sort"] != "name":
        pairs.append(("sort", chosen["sort"]))
    return urlencode(pairs)


def filters_query(data, user) -> str:
    """The contract list's filters in `data` (the list's query string, or a saved view's),
    each kept only if the list's form accepts it for this person: what a saved view
    stores, and opens."""
    return query_of(ContractFilterForm(data, user=user).filters())


def describe_views(user, views) -> list[tuple[SavedView, str]]:
    """Each saved view with its filters in words ("Stage: Closing; COR: Kim Cor"), in two
    queries whatever the number of views (the CORs, as this person may see them, and the
    services they name)."""
    parsed = [(view, QueryDict(view.query)) for view in views]
    ids = {name: {int(v) for _, d in parsed if (v := d.get(name) or "").isdigit()}
           for name in ("cor", "service")}
    names: dict[str, dict[int, str]] = {
        "cor": dict(cor_filter.cor_holders(user).filter(pk__in=ids["cor"])
                    .values_list("pk", "full_name")) if ids["cor"] else {},
        "service": dict(Service.objects.filter(pk__in=ids["service"])
                        .values_list("pk", "name")) if ids["service"] else {},
    }
    stages = dict(Stage.choices)
    sorts = dict(SORT_CHOICES)
    described = []
    for view, data in parsed:
        parts = []
        if data.get("q"):
            parts.append(f"Search: “{data['q']}”")
        if data.get("stage") in stages:
            parts.append(f"Stage: {stages[data['stage']]}")
        for name, label in (("cor", "COR"), ("service", "Service")):
            value = data.get(name) or ""
            if value.isdigit() and int(value) in names[name]:
                parts.append(f"{label}: {names[name][int(value)]}")
            elif name == "cor" and value and not value.isdigit():
                parts.append(f"COR: “{value}”")  # words, as saved
        if data.get("overdue"):
            parts.append("Only contracts with an overdue step")
        if data.get("sort") in sorts:
            parts.append(f"Sorted by {str(sorts[data['sort']]).lower()}")
        described.append((view, "; ".join(parts) or "Every contract"))
    return described


class SavedViewForm(USWDSMixin, forms.Form):
    """A name for the list's current filters (saving, or renaming a saved view)."""

    name = forms.CharField(label="Name of the view", max_length=SavedView.NAME_MAX,
                           help_text="For example “Closing this quarter”.")
    query = forms.CharField(required=False, widget=forms.HiddenInput,
                            max_length=SavedView.QUERY_MAX * 4)

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())


class ContractForm(USWDSMixin, forms.ModelForm):
    """Identity and milestones, as the onboarding team edits them."""

    class Meta:
        model = Contract
        fields = [
            "name", "contract_number", "task_order_number",
            "estimated_award_date", "award_date", "pop_start", "pop_end", "type_of_work",
        ]
        widgets = {
            "estimated_award_date": DateInput(),
            "award_date": DateInput(),
            "pop_start": DateInput(),
            "pop_end": DateInput(),
            "type_of_work": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {"task_order_number": "Optional."}

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        estimated, award = cleaned.get("estimated_award_date"), cleaned.get("award_date")
        start = cleaned.get("pop_start")
        if award and start and start < award:
            self.add_error("pop_start", "The period of performance cannot start before the award.")
        if estimated and award is None and start and start < estimated:
            self.add_error(
                "pop_start",
                "The period of performance cannot start before the estimated award date.",
            )
        return cleaned


class CompleteStepForm(USWDSMixin, forms.Form):
    note = forms.CharField(
        label="Evidence or note", required=True, max_length=SHORT_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What shows the step is done, e.g. 'Meeting held on the 4th; minutes filed'.",
    )
