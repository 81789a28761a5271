"""The team's work: My work (the team's home page), the dashboard, the filtered list of
items, an item's assignment page, and the assignment actions (POST). Thin: parse,
authorize (accounts.permissions), call a service, render."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from muster import clock
from muster.accounts import permissions
from muster.accounts.models import User
from muster.actions import next_url, refused_as_message
from muster.contracts import views as contract_views
from muster.reverse_once import address

from . import queries, services, tables
from .forms import AssignForm
from .items import AGE_BUCKETS, KINDS, Kind, kind_of

PAGE_SIZE = queries.PAGE_SIZE


def home(request):
    """The home page: My work for those who see every contract (the onboarding team, its
    lead, administrators); everyone else the contracts they hold a role on."""
    if permissions.sees_every_contract(request.user):
        return mine(request)
    return contract_views.home(request)


def _page(request, merged: queries.Merged, param: str):
    return Paginator(merged, PAGE_SIZE).get_page(request.GET.get(param))  # type: ignore[arg-type]


def mine(request):
    user = request.user
    if not permissions.may_see_my_work(user):
        raise PermissionDenied("My work is the onboarding team's and the service leads' list.")
    today = clock.today()
    mine_list, waiting_list = queries.my_lists(user, today)
    assigned, waiting = _page(request, mine_list, "mine"), _page(request, waiting_list, "page")
    candidates = queries.Candidates.load() if permissions.may_assign_work(user) else None
    for page in (assigned, waiting):
        queries.offer(user, page.object_list, candidates or queries.Candidates())
    return render(request, "work/mine.html", {
        "assigned": assigned, "waiting": waiting, "today": today,
        "sees_dashboard": permissions.may_see_work_dashboard(user),
        "here": request.get_full_path(),
    })


def dashboard(request):
    if not permissions.may_see_work_dashboard(request.user):
        raise PermissionDenied("The dashboard is for the onboarding team, its lead and "
                               "administrators.")
    today = clock.today()
    counts = queries.dashboard(today)
    # Every count links to its list: the addresses reversed once, not ~50 times a page.
    items_url, contracts_url = address("work:items"), address("contracts:list")
    return render(request, "work/dashboard.html", {
        **counts, "today": today, "items_url": items_url,
        **tables.dashboard_tables(counts, items_url, contracts_url),
    })


def item_list(request):
    user = request.user
    if not permissions.may_see_my_work(user):
        raise PermissionDenied("This list is for the onboarding team and the service leads.")
    today = clock.today()
    filters = queries.Filters.from_query(request.GET)
    page = _page(request, queries.Merged(queries.filtered(user, filters, today), today), "page")
    candidates = queries.Candidates.load()
    queries.offer(user, page.object_list, candidates)
    kind = KINDS.get(filters.kind)
    return render(request, "work/items.html", {
        "page": page, "filters": filters, "query": filters.as_query(), "today": today,
        "kind": kind, "status_label": kind.statuses.get(filters.status, "") if kind else "",
        "age_label": {k: label for k, label, *_ in AGE_BUCKETS}.get(filters.age, ""),
        "assignee_label": queries.assignee_name(filters, user),
        "due_label": queries.DUE_FILTERS.get(filters.due, ""),
        "kinds": list(KINDS.values()), "ages": AGE_BUCKETS, "dues": queries.DUE_FILTERS,
        "people": candidates.everyone(),
        "here": request.get_full_path(),
    })


# --- One item ---------------------------------------------------------------------------


def _item(request, kind_key: str, item_pk: int) -> tuple[Kind, Any]:
    """The open item, if the person sees its contract (else 404) and its assignment page
    (else 403)."""
    kind = kind_of(kind_key)
    if kind is None:
        raise Http404("No such kind of work.")
    try:
        item = kind.get(item_pk)
    except kind.model.DoesNotExist as error:
        raise Http404("No such open item.") from error
    if not permissions.visible_contracts(request.user).filter(pk=item.contract_id).exists():
        raise Http404("No such open item.")
    if not permissions.may_see_work_item(request.user, item):
        raise PermissionDenied("Only the onboarding team, its lead and the leads of the "
                               "item's service see who works on it.")
    return kind, item


def item_page(request, kind, item_pk):
    kind_obj, row = _item(request, kind, item_pk)
    today = clock.today()
    item = kind_obj.item(row, today)
    user = request.user
    queries.offer(user, [item], queries.Candidates.load())
    # Come from a list (?next=): its actions return there.
    back = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        back = request.get_full_path()
    return render(request, "work/item.html", {"item": item, "today": today, "here": back})


def _back(request, kind: Kind, item) -> str:
    return next_url(request, reverse("work:item", args=[kind.key, item.pk]))


@require_POST
def take(request, kind, item_pk):
    kind_obj, item = _item(request, kind, item_pk)
    with refused_as_message(request) as refusal:
        services.take(request.user, kind_obj, item)
    if not refusal:
        messages.success(request, f"You took the {kind_obj.label.lower()} of "
                                  f"{item.contract.name}.")
    return redirect(_back(request, kind_obj, item))


@require_POST
def assign(request, kind, item_pk):
    kind_obj, item = _item(request, kind, item_pk)
    if not permissions.may_assign_work(request.user, item):
        raise PermissionDenied("Only the onboarding team and its lead give work to people.")
    work = kind_obj.item(item, clock.today())
    form = AssignForm(request.POST, people=queries.Candidates.load().for_item(work))
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for e in form.errors["assignee"]))
        return redirect(_back(request, kind_obj, item))
    assignee = User.objects.get(pk=form.cleaned_data["assignee"])
    with refused_as_message(request) as refusal:
        services.assign(request.user, kind_obj, item, assignee)
    if not refusal:
        messages.success(request, f"{assignee.full_name} now works on the "
                                  f"{kind_obj.label.lower()} of {item.contract.name}; "
                                  "they were emailed.")
    return redirect(_back(request, kind_obj, item))


@require_POST
def unassign(request, kind, item_pk):
    kind_obj, item = _item(request, kind, item_pk)
    with refused_as_message(request) as refusal:
        services.unassign(request.user, kind_obj, item)
    if not refusal:
        messages.success(request, f"Nobody is assigned the {kind_obj.label.lower()} of "
                                  f"{item.contract.name} now: it is back in the queue.")
    return redirect(_back(request, kind_obj, item))

