"""Contract pages. Thin: parse, authorize (accounts.permissions), call a service, render."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from muster import clock
from muster.accounts import permissions
from muster.accounts.permissions import Action
from muster.actions import refused_as_message
from muster.audit import correlation
from muster.audit.models import AuditEvent
from muster.timeline import queries as timeline_queries
from muster.timeline import services as timeline_services
from muster.timeline.models import ContractStep

from . import queries, services
from .forms import CompleteStepForm, ContractFilterForm, ContractForm

PAGE_SIZE = 25


def _page(request, queryset, size=PAGE_SIZE):
    return Paginator(queryset, size).get_page(request.GET.get("page"))


def home(request):
    user = request.user
    page = _page(request, queries.home_contracts(user))
    return render(request, "contracts/home.html", {
        "page": page,
        "sees_every_contract": permissions.sees_every_contract(user),
        "access_contracts": _contractor_access(user),
        "today": clock.today(),
    })


def _contractor_access(user) -> list[tuple]:
    """(contract, its grants) for each contract the person is a contractor user on."""
    contracts = list(queries.contracts_as_contractor_user(user))
    if not contracts:
        return []
    from muster.access.queries import grants_by_contract

    grants = grants_by_contract(user)
    return [(contract, grants.get(contract.pk, [])) for contract in contracts]


@vary_on_headers("HX-Request")
def contract_list(request):
    """The list with its search, filters, sort and pages: a plain GET form. htmx's requests
    from the form or the page links (request.htmx) get only the results, which it swaps in
    place; a history restore gets the whole page. Vary keeps the browser's cache from
    showing a partial as a page (or the reverse) for the same address."""
    form = ContractFilterForm(request.GET, user=request.user)  # bad values are ignored
    page = _page(request, queries.contract_list(request.user, **form.filters()))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode(), "today": clock.today()}
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "contracts/_list_results.html", context)
    return render(request, "contracts/list.html", context)


def contract_detail(request, pk):
    user = request.user
    contract = permissions.contract_for(
        user, pk, Action.VIEW_CONTRACT, queryset=queries.contract_page(pk)
    )
    today = clock.today()
    steps = list(contract.steps.all())
    return render(request, "contracts/detail.html", {
        "contract": contract,
        "parties": sorted(contract.roles.all(), key=lambda r: PARTY_ORDER.get(r.role, 9)),
        "timeline": timeline_queries.timeline(steps, today),
        "next_step": timeline_queries.next_open_step(steps),
        "today": today,
        "can_edit": permissions.can(user, Action.EDIT_CONTRACT, contract),
        "can_complete_steps": permissions.can(user, Action.COMPLETE_STEP, contract),
        "can_view_history": permissions.can(user, Action.VIEW_HISTORY, contract),
        "complete_form": CompleteStepForm(),
        "onboarding": _onboarding_panel(user, contract),
        "access": _access_panel(user, contract, today),
        **_related_records(user, contract),
    })


def _related_records(user, contract) -> dict:
    """The records this one follows and is followed by (closeout scenarios 1 and 2), those
    the person may open."""
    from .models import Contract

    follows = Contract.objects.filter(closeouts__successor=contract)
    followed_by = Contract.objects.filter(predecessor_closeouts__contract=contract)
    return {"follows": list(permissions.visible_contracts(user, follows).distinct()),
            "followed_by": list(permissions.visible_contracts(user, followed_by).distinct())}


def _access_panel(user, contract, today) -> dict:
    """Roster, DUA, additional services and closeout, as this person may reach them."""
    from muster.access import additional, dua
    from muster.closeout.models import Closeout

    dua_state = dua.dua_status(contract, today)
    if not (dua_state.needed or dua_state.dua):
        dua_state = None
    started = contract.stage not in ("solicitation",)
    closeout = contract.closeouts.order_by("-notice_sent_at").first() if started else None
    is_cor = permissions.can(user, Action.CHOOSE_SCENARIO, contract)
    panel = {
        "can_view_roster": started and permissions.can(user, Action.VIEW_ROSTER, contract),
        "can_manage_roster": permissions.can(user, Action.MANAGE_ROSTER, contract),
        "can_request_service": contract.stage in additional.REQUESTABLE_STAGES
        and permissions.can(user, Action.REQUEST_SERVICE, contract),
        "service_requests": list(additional.visible_requests(user).filter(contract=contract)
                                 .select_related("service")),
        "dua": dua_state,
        "show_closeout": closeout is not None,
        "closeout_waits_for_you": is_cor and closeout is not None
        and closeout.status == Closeout.Status.NOTICE_SENT,
    }
    panel["show"] = any(panel.values())
    return panel


def _onboarding_panel(user, contract) -> dict:
    """What the contract page offers this person on the onboarding flow."""
    from muster.onboarding import intake
    from muster.onboarding.models import OnboardingRequest, SurveyResponse

    try:
        request = contract.onboarding_request
    except OnboardingRequest.DoesNotExist:
        request = None
    try:
        survey = contract.survey
    except SurveyResponse.DoesNotExist:
        survey = None
    return {
        "request": request,
        "can_notify_award": contract.stage == "solicitation"
        and permissions.can(user, Action.NOTIFY_AWARD, contract),
        "can_edit_intake": (request is not None and intake.may_edit(user, request))
        or (request is None and not permissions.intake_closed_reason(contract)
            and permissions.can(user, Action.SUBMIT_INTAKE, contract)),
        # A re-award's new record: onboarding carried over, no intake to invite.
        "intake_carried_over": request is None and contract.stage not in (
            "solicitation", "awarded", "onboarding") and permissions.carried_over(contract),
        "packages": contract.welcome_packages.count(),
        "can_view_welcome": permissions.can(user, Action.VIEW_WELCOME, contract),
        "calls": contract.calls.count(),
        "survey_to_answer": survey is not None and survey.answered_at is None
        and permissions.can(user, Action.ANSWER_SURVEY, contract),
    }


PARTY_ORDER = {"cor": 0, "poc": 1, "so": 2, "spoc": 3, "contractor_user": 4}


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
    events = AuditEvent.objects.filter(contract=contract).select_related("actor")
    # ?action=<request id>: only the events one request or command run caused.
    action = request.GET.get("action", "")
    action = action if correlation.is_sane(action) else ""
    if action:
        events = events.filter(request_id=action)
    page = _page(request, events, 50)
    _link_related_contracts(request.user, page.object_list)
    return render(request, "contracts/history.html", {
        "contract": contract, "page": page, "action": action,
        "query": f"action={action}" if action else "",
    })



# Keys of an event's "after" that name another contract record (a re-award's or a new
# contractor's): the history links them, so each record's story leads to the other's.
RELATED_KEYS = {"predecessor": "Follows", "successor": "Followed by"}


def _link_related_contracts(user, events) -> None:
    """Give each event `related`: [(label, contract)] for the records it names that the
    person may open (one query for the page)."""
    from .models import Contract

    named = {e.pk: [(label, e.after.get(key)) for key, label in RELATED_KEYS.items()
                    if isinstance(e.after.get(key), int)] for e in events}
    pks = {pk for pairs in named.values() for _, pk in pairs}
    visible = {c.pk: c for c in permissions.visible_contracts(
        user, Contract.objects.filter(pk__in=pks))} if pks else {}
    for event in events:
        event.related = [(label, visible[pk]) for label, pk in named[event.pk] if pk in visible]
