"""Contract pages. Thin: parse, authorize (accounts.permissions), call a service, render."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse, QueryDict
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import cached_property
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from muster import clock
from muster.accounts import permissions
from muster.accounts.permissions import Action
from muster.actions import refused_as_message
from muster.audit import correlation
from muster.errors import DomainError
from muster.reverse_once import per_id
from muster.timeline import queries as timeline_queries
from muster.timeline import services as timeline_services
from muster.timeline.models import ContractStep

from . import cor_filter, panels, queries, rows, services
from .forms import (
    CompleteStepForm,
    ContractFilterForm,
    ContractForm,
    SavedViewForm,
    describe_views,
    filters_query,
    query_of,
)
from .models import SavedView
from .timeline_rows import timeline_rows

PAGE_SIZE = 25


def _page(request, queryset, size=PAGE_SIZE):
    return Paginator(queryset, size).get_page(request.GET.get("page"))


class _CountedPages(Paginator):
    """A list's pages, counted on its contracts before anything is read to show them: the
    count of the shown queryset keeps the next step's join (issue 17)."""

    def __init__(self, queryset, size, counted):
        super().__init__(queryset, size)
        self._counted = counted

    @cached_property
    def count(self) -> int:
        return self._counted.count()


def _list_page(request, queryset, counted, *, show_cor=False):
    """A page of contracts (queries.ROW_VALUES) and its table's `rows`
    (contracts/_contract_table.html)."""
    page = _CountedPages(queryset, PAGE_SIZE, counted).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    page.rows = rows.contract_rows(page.object_list, show_cor)  # type: ignore[attr-defined]
    return page


def home(request):
    user = request.user
    page = _list_page(request, *queries.home_pages(user))
    today = clock.today()
    return render(request, "contracts/home.html", {
        "page": page,
        "sees_every_contract": permissions.sees_every_contract(user),
        "panels": panels.shown(panels.HOME, user, None, today),
        "today": today,
    })


@vary_on_headers("HX-Request")
def contract_list(request):
    """The list with its search, filters, sort and pages: a plain GET form. htmx's requests
    from the form or the page links (request.htmx) get only the results, which it swaps in
    place; a history restore gets the whole page. Vary keeps the browser's cache from
    showing a partial as a page (or the reverse) for the same address."""
    form = ContractFilterForm(request.GET, user=request.user)  # bad values are ignored
    chosen = form.filters()
    sort = chosen.pop("sort")
    shown, counted = queries.list_pages(request.user, sort=sort, **chosen)
    page = _list_page(request, shown, counted, show_cor=True)
    chosen["sort"] = sort
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode(), "today": clock.today(),
               # The person's saved views, and the filters shown, as a view would keep them.
               "saved_views": queries.saved_views_listed(request.user),
               "filters_query": query_of(chosen), "list_url": reverse("contracts:list")}
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "contracts/_list_results.html", context)
    context["fields"] = form.shown_fields()
    return render(request, "contracts/list.html", context)


def contract_detail(request, pk):
    user = request.user
    contract = queries.contract_page(user, pk)
    today = clock.today()
    steps = list(contract.steps.all())
    parties, more_users = queries.parties(contract)
    # The page's CSRF token, taken once for its forms and its timeline's rows (the
    # context processor's would mask it again).
    token = get_token(request)
    return render(request, "contracts/detail.html", {
        "contract": contract,
        "parties": parties,
        "more_users": more_users,
        "csrf_token": token,
        "timeline": _timeline(request, contract, steps, today, token),
        "next_step": timeline_queries.next_open_step(steps),
        "today": today,
        # Onboarding's, access's and closeout's parts: they register them (panels.py).
        "panels": panels.shown(panels.CONTRACT, user, contract, today),
        "party_panels": panels.shown(panels.PARTIES, user, contract, today),
        "end_panels": panels.shown(panels.CONTRACT_END, user, contract, today),
        **queries.related_records(user, contract),
    })


def _timeline(request, contract, steps, today, csrf_token: str) -> list[tuple]:
    """Each process of the contract's timeline with its table's rows; for whoever may
    complete steps, each open step's "Mark done" form."""
    may_complete = permissions.can(request.user, Action.COMPLETE_STEP, contract)
    complete_url = per_id("contracts:step_complete", contract.pk)
    return [(process, timeline_rows(process, complete_url, may_complete, csrf_token))
            for process in timeline_queries.timeline(steps, today)]


def contract_edit(request, pk):
    contract = permissions.contract_for(request.user, pk, Action.EDIT_CONTRACT)
    form = ContractForm(request.POST or None, instance=contract)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            services.update_contract(request.user, contract, **changes)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Contract saved. Open steps' due dates follow the dates.")
            return redirect(contract)
    contract.refresh_from_db()
    return render(request, "contracts/edit.html", {"contract": contract, "form": form},
                  status=400 if form.errors else 200)


@require_POST
def step_complete(request, pk, step_pk):
    contract = permissions.contract_for(request.user, pk, Action.COMPLETE_STEP)
    step = get_object_or_404(ContractStep, pk=step_pk, contract=contract)
    form = CompleteStepForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"To complete “{step.name}”, say what shows it is done.")
        return redirect(f"{contract.get_absolute_url()}#step-{step.pk}")
    with refused_as_message(request) as refusal:
        timeline_services.complete_step(request.user, step, form.cleaned_data["note"])
    if not refusal:
        messages.success(request, f"“{step.name}” is done.")
    return redirect(f"{contract.get_absolute_url()}#step-{step.pk}")


def contract_history(request, pk):
    contract = permissions.contract_for(request.user, pk, Action.VIEW_HISTORY)
    # ?action=<request id>: only the events one request or command run caused.
    action = request.GET.get("action", "")
    action = action if correlation.is_sane(action) else ""
    page = _page(request, queries.history(contract, action), 50)
    queries.link_related_contracts(request.user, page.object_list)
    return render(request, "contracts/history.html", {
        "contract": contract, "page": page, "action": action,
        "query": f"action={action}" if action else "",
    })


@never_cache
@require_safe
def cor_suggestions(request):
    """The contract list's COR combobox (muster/static/cor-combobox.js): at most 10 CORs of
    contracts the person may see whose name or email contains `q`, as JSON; each one's
    `value` is what the list's COR field takes to filter by them alone."""
    found = cor_filter.suggestions(request.user, request.GET.get("q", ""))
    return JsonResponse({"suggestions": [
        {"id": cor.pk, "name": cor.full_name, "email": cor.email, "value": cor_filter.label(cor)}
        for cor in found
    ]})


# --- Saved views of the contract list: only their owner sees or changes them -----------------


def _list_with(query: str) -> str:
    url = reverse("contracts:list")
    return f"{url}?{query}" if query else url


def saved_views(request):
    """GET: the person's saved views, to open, rename or delete. POST: save the list's
    filters (checked again by the list's form) under a name."""
    user = request.user
    form = SavedViewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        query = filters_query(QueryDict(form.cleaned_data["query"]), user)
        try:
            view = services.save_view(user, name=form.cleaned_data["name"], query=query)
        except DomainError as error:
            form.add_error(error.field, str(error))
        else:
            messages.success(request, f"Saved the view “{view.name}”: it is under “Your "
                                      "saved views” on the contract list.")
            return redirect(_list_with(view.query))
    views = list(queries.saved_views(user))
    return render(request, "contracts/saved_views.html", {
        "form": form, "views": describe_views(user, views), "per_person": SavedView.PER_PERSON,
        "list_url": reverse("contracts:list"),
    }, status=400 if form.errors else 200)


def _own_view(request, view_pk) -> SavedView:
    view = queries.view_of(request.user, view_pk)
    if view is None:
        raise Http404("You have no such saved view.")
    return view


@require_POST
def rename_view(request, view_pk):
    view = _own_view(request, view_pk)
    before = view.name
    form = SavedViewForm({"name": request.POST.get("name", "")})
    if not form.is_valid():
        messages.error(request, f"“{before}” was not renamed: "
                                f"{' '.join(str(e) for e in form['name'].errors)}")
        return redirect("contracts:saved_views")
    with refused_as_message(request, f"“{before}” was not renamed: ") as refusal:
        services.rename_view(request.user, view, form.cleaned_data["name"])
    if not refusal:
        messages.success(request, f"Renamed “{before}” to “{view.name}”.")
    return redirect("contracts:saved_views")


@require_POST
def delete_view(request, view_pk):
    view = _own_view(request, view_pk)
    services.delete_view(request.user, view)
    messages.success(request, f"Deleted the view “{view.name}”.")
    return redirect("contracts:saved_views")
