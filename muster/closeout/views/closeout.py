"""The closeout of a contract as the COR and the onboarding team use it. Thin: parse,
authorize (accounts.permissions), call one service (closeout.services), render or
redirect with a message."""

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from muster import clock
from muster.accounts import permissions
from muster.accounts.permissions import Action
from muster.actions import refused_as_form_error, refused_as_message

from .. import pending, services
from ..forms import FORMS, ArchiveForm, ConfirmRemovalForm, NewContractForm, UndoReawardForm
from ..models import Closeout, Scenario, SweepRun

# The four scenarios in plain words (shared/seeds: "Notification of Contract Closeout").
SCENARIOS = [
    {
        "number": Scenario.REAWARD_INCUMBENT.value,
        "title": "Contract ends, and a new contract is re-awarded to the incumbent",
        "outcome": "The onboarding team keeps the contractor's current access to the "
        "services: on the last day of the current contract, its users' access moves to the "
        "new contract.",
        "asks": [
            "The new contract name, if it changes",
            "The new period of performance",
            "The new contract number, and task order number if there is one",
            "For SAS Viya or another service that requires a Data Use Agreement (DUA): "
            "whether the DUA is still valid. If not, a new DUA is required, and access to "
            "those services pauses until the PDF of the new DUA is given",
            "Whether the Security Official (SO) and Security Point of Contact (SPOC) remain "
            "the same; if not, the new SO's and SPOC's names and HARP IDs",
            "Which data the contractor worked on for CMS needs to be archived, and whether "
            "the contractor will need the same data for the new contract",
        ],
    },
    {
        "number": Scenario.OTHER_CONTRACTOR.value,
        "title": "Contract ends, and a new contract is awarded to another contractor",
        "outcome": "The onboarding team removes the current contractor's access on the end "
        "date of its period of performance, and onboards the new contractor, which follows "
        "the new contract onboarding process.",
        "asks": [
            "The end date of the current contractor's period of performance, confirmed",
            "Which data the contractor worked on for CMS needs to be archived, and whether "
            "the new contractor may need it",
        ],
    },
    {
        "number": Scenario.NO_AWARD.value,
        "title": "Contract ends without a new version of the contract being awarded",
        "outcome": "The onboarding team removes the contractor's access on the end date of "
        "its period of performance and makes sure all CMS data is archived.",
        "asks": [
            "The end date of the current contractor's period of performance, confirmed",
            "Which CMS data the contractor worked on is to be archived",
        ],
    },
    {
        "number": Scenario.EXTENSION.value,
        "title": "Contract period of performance is extended",
        "outcome": "The onboarding team updates the contract's records: its dates and due "
        "steps move, and the closeout starts again 60 days before the new end date.",
        "asks": [
            "The new end date of the period of performance",
            "For SAS Viya or another service that requires a DUA: whether the DUA is valid "
            "through the new end date. If the DUA was updated, the PDF of the updated DUA",
        ],
    },
]
ACTIVE_STATUSES = (Closeout.Status.NOTICE_SENT, Closeout.Status.SCENARIO_CHOSEN)
REMOVED_STATUSES = (Closeout.Status.ACCESS_REMOVED, Closeout.Status.CARRIED_OVER)


def _page_url(contract) -> str:
    return reverse("closeout:closeout", args=[contract.pk])


def _show(value) -> str:
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    if isinstance(value, dict):
        return ", ".join(str(v) for v in value.values() if v)
    if isinstance(value, str):
        try:
            day = datetime.date.fromisoformat(value)
        except ValueError:
            return value or "—"
        return f"{day:%A, %B} {day.day}, {day.year}"
    return "—" if value in (None, "") else str(value)


EXTRA_LABELS = {
    "new_so": "New SO (name, email, HARP ID)",
    "new_spoc": "New SPOC (name, email, HARP ID)",
    "new_dua_number": "New DUA number",
    "new_dua_expiry_date": "New DUA expires",
    "dua_services_pause_on": "Access to the services that need a DUA pauses on",
}


def answer_rows(closeout: Closeout) -> list[tuple[str, str]]:
    """The COR's answers, labelled as the form asked them."""
    if not closeout.scenario:
        return []
    fields = FORMS[closeout.scenario].base_fields
    rows = []
    for key, value in closeout.answers.items():
        field = fields.get(key)
        label = str(field.label) if field is not None else EXTRA_LABELS.get(key, key)
        rows.append((label, _show(value)))
    return rows


def _page(request, contract, *, archive_form=None, removal_form=None, new_contract_form=None,
          undo_form=None, status=200):
    user = request.user
    today = clock.today()
    closeout = services.current_closeout(contract)
    is_team = permissions.can(user, Action.CONFIRM_REMOVAL, contract)
    refusal = services.choosing_refused(contract)
    can_choose = permissions.can(user, Action.CHOOSE_SCENARIO, contract) and not refusal
    steps = list(contract.steps.filter(process="offboarding").select_related("completed_by"))
    for step in steps:
        step.current_state = step.state(today)
    if closeout is not None and is_team:
        if removal_form is None and closeout.status in REMOVED_STATUSES \
                and closeout.removal_confirmed_at is None \
                and not services.removal_done_by_carry_over(closeout):
            removal_form = ConfirmRemovalForm()
        if archive_form is None and closeout.scenario:
            archive_form = ArchiveForm(initial={"note": closeout.archive_note})
        if new_contract_form is None and closeout.scenario == Scenario.OTHER_CONTRACTOR \
                and closeout.successor_id is None:
            new_contract_form = NewContractForm(initial={
                "name": contract.name, "award_date": today,
                "pop_start": contract.pop_end + datetime.timedelta(days=1)
                if contract.pop_end else None,
            })
    undo_form = _undo_form(user, contract, closeout, today, undo_form)
    forms = [f for f in (archive_form, removal_form, new_contract_form, undo_form)
             if f is not None]
    notice_on = (contract.pop_end - datetime.timedelta(days=60)) if contract.pop_end else None
    return render(request, "closeout/closeout.html", {
        "contract": contract,
        "closeout": closeout,
        "answers": answer_rows(closeout) if closeout else [],
        "earlier": list(contract.closeouts.exclude(pk=getattr(closeout, "pk", None))
                        .select_related("chosen_by")),
        # Links only to the records this person may open (a new SO is not on the old one).
        "predecessors": [p for p in contract.predecessor_closeouts.select_related("contract")
                         if permissions.can(user, Action.VIEW_CONTRACT, p.contract)],
        "successor_visible": closeout is not None and closeout.successor is not None
        and permissions.can(user, Action.VIEW_CONTRACT, closeout.successor),
        "today": today,
        "days_to_pop_end": (contract.pop_end - today).days if contract.pop_end else None,
        "days_since_pop_end": (today - contract.pop_end).days if contract.pop_end else None,
        "notice_on": notice_on,
        "steps": steps,
        "scenarios": SCENARIOS if can_choose else [],
        "can_choose": can_choose,
        "refusal": refusal,
        "is_team": is_team,
        "archive_form": archive_form if is_team else None,
        "removal_form": removal_form,
        "new_contract_form": new_contract_form,
        "undo_form": undo_form,
        "has_errors": any(f.is_bound and f.errors for f in forms),
    }, status=status)


def _undo_form(user, contract, closeout, today, form=None):
    """The team's way out of a re-award chosen by mistake, while it can still be undone."""
    if not permissions.can(user, Action.UNDO_REAWARD, contract) \
            or services.undo_refused(closeout, today):
        return None
    return form or UndoReawardForm()


def closeout(request, pk):
    contract = permissions.contract_for(request.user, pk, Action.VIEW_CONTRACT)
    return _page(request, contract)


def _initial(closeout: Closeout | None, scenario: int) -> dict:
    """Answers already given for this scenario, to correct them."""
    if closeout is None or closeout.scenario != scenario:
        return {}
    initial = {}
    for key, value in closeout.answers.items():
        initial[key] = ("yes" if value else "no") if isinstance(value, bool) else value
    for role in ("so", "spoc"):
        person = closeout.answers.get(f"new_{role}") or {}
        for part, field in (("full_name", "name"), ("email", "email"), ("harp_id", "harp_id")):
            if person.get(part):
                initial[f"new_{role}_{field}"] = person[part]
    return initial


def _success_message(closeout: Closeout, contract, form) -> str:
    label = Scenario(closeout.scenario).label
    text = f"Scenario chosen: {label}. The onboarding team is emailed."
    if closeout.scenario == Scenario.REAWARD_INCUMBENT:
        text += (f" The new contract record is {closeout.successor}; its users' access moves "
                 f"to it on {contract.pop_end:%B} {contract.pop_end.day}, {contract.pop_end.year}.")
        if form.cleaned_data.get("dua_still_valid") is False and form.dua() is None:
            text += (" The DUA is not valid: access to the services that need a DUA pauses "
                     "then, until the new DUA's PDF is uploaded on the new contract.")
    elif closeout.scenario == Scenario.EXTENSION:
        end = form.cleaned_data["new_pop_end"]
        text += (f" The period of performance now ends {end:%B} {end.day}, {end.year}; the "
                 "closeout starts again 60 days before it.")
    else:
        end = closeout.pop_end
        text += f" Access is removed on {end:%A, %B} {end.day}, {end.year}."
    return text


def choose_scenario(request, pk, scenario):
    if scenario not in FORMS:
        raise Http404("No such closeout scenario.")
    contract = permissions.contract_for(request.user, pk, Action.CHOOSE_SCENARIO)
    refusal = services.choosing_refused(contract)
    if refusal:
        messages.error(request, refusal)
        return redirect(_page_url(contract))
    closeout = services.current_closeout(contract)
    form_class = FORMS[scenario]
    kept = None
    if request.method == "POST":
        files, kept = _files_with_pending_dua(request, contract)
        form = form_class(request.POST, files, contract=contract, closeout=closeout)
    else:
        form = form_class(contract=contract, closeout=closeout,
                          initial=_initial(closeout, scenario))
    # A re-award creates a contract record: its answers are shown for confirmation first
    # (a GET never gets this far with a valid form).
    confirming = scenario == Scenario.REAWARD_INCUMBENT and request.method == "POST"
    if confirming and form.is_valid() and "confirm" not in request.POST:
        if "change" not in request.POST:
            return _confirm_reaward(request, contract, closeout, form, kept)
        return _scenario_page(request, contract, closeout, form, scenario, kept)
    if request.method == "POST" and form.is_valid():
        with refused_as_form_error(form) as refusal:
            chosen = services.apply_scenario(
                request.user, contract, scenario, form.answers(), dua=form.dua(),
                new_so=form.new_so(), new_spoc=form.new_spoc(),
            )
        if not refusal:
            pending.discard(kept)
            messages.success(request, _success_message(chosen, contract, form))
            return redirect(_page_url(contract))
    return _scenario_page(request, contract, closeout, form, scenario, kept)


def _scenario_page(request, contract, closeout, form, scenario, kept=None):
    scenario_text = next(s for s in SCENARIOS if s["number"] == scenario)
    return render(request, "closeout/scenario.html", {
        "contract": contract,
        "closeout": closeout,
        "form": form,
        "scenario": scenario_text,
        "changing": closeout is not None and closeout.scenario is not None,
        "pending_dua": kept,
    }, status=400 if form.errors else 200)


# --- Re-award: confirm before the new record is made --------------------------------------

def _files_with_pending_dua(request, contract):
    """The request's files, with the DUA PDF kept from the previous step when none is
    chosen now (the form checks it again)."""
    files = request.FILES
    token = request.POST.get("pending_dua", "")
    if files.get("dua_document") or not token:
        return files, None
    restored = pending.restore(contract, token)
    if restored is None:
        return files, None
    kept, upload = restored
    files = files.copy()
    files["dua_document"] = upload
    return files, kept


def _confirm_reaward(request, contract, closeout, form, kept):
    kept = pending.keep(contract, form.cleaned_data.get("dua_document"), kept)
    plan = services.reaward_plan(contract, closeout, form.answers(), dua=form.dua(),
                                 new_so=form.new_so(), new_spoc=form.new_spoc())
    hidden = [(name, value) for name in form.fields if name != "dua_document"
              for value in request.POST.getlist(name)]
    return render(request, "closeout/reaward_confirm.html", {
        "contract": contract, "closeout": closeout, "plan": plan, "hidden": hidden,
        "pending_dua": kept,
    })


@require_POST
def undo_reaward(request, pk):
    contract = permissions.contract_for(request.user, pk, Action.UNDO_REAWARD)
    closeout = _current(contract)
    form = UndoReawardForm(request.POST)
    if not form.is_valid():
        return _page(request, contract, undo_form=form, status=400)
    with refused_as_message(request) as refusal:
        withdrawn = services.undo_reaward(request.user, closeout, form.cleaned_data["reason"])
    if refusal:
        return redirect(_page_url(contract))
    messages.success(request, f"The re-award is undone: {withdrawn.name} is withdrawn, and "
                     "the COR is emailed to choose the closeout scenario again.")
    return redirect(_page_url(contract))


def _current(contract) -> Closeout:
    closeout = services.current_closeout(contract)
    if closeout is None:
        raise Http404("This contract has no closeout yet.")
    return closeout


@require_POST
def confirm_removal(request, pk):
    contract = permissions.contract_for(request.user, pk, Action.CONFIRM_REMOVAL)
    closeout = _current(contract)
    form = ConfirmRemovalForm(request.POST)
    if not form.is_valid():
        return _page(request, contract, removal_form=form, status=400)
    with refused_as_message(request) as refusal:
        services.confirm_removal(request.user, closeout, form.cleaned_data["note"])
    if not refusal:
        messages.success(request, "The removal of access is confirmed: the timeline's "
                         "“Contract removed from services” step is done.")
    return redirect(_page_url(contract))


@require_POST
def record_archive(request, pk):
    contract = permissions.contract_for(request.user, pk, Action.CONFIRM_REMOVAL)
    closeout = _current(contract)
    form = ArchiveForm(request.POST)
    if not form.is_valid():
        return _page(request, contract, archive_form=form, status=400)
    with refused_as_form_error(form, "note") as refusal:
        services.record_archive(request.user, closeout, form.cleaned_data["note"])
    if refusal:
        return _page(request, contract, archive_form=form, status=400)
    messages.success(request, "The data archive is recorded.")
    return redirect(_page_url(contract))


@require_POST
def start_new_contract(request, pk):
    """Two steps on one POST address: the form's values first show what will be created
    (nothing is saved); "Confirm" creates it, "Change" goes back with the values typed."""
    contract = permissions.contract_for(request.user, pk, Action.CONFIRM_REMOVAL)
    closeout = _current(contract)
    if refusal := services.new_contract_refused(closeout):
        messages.error(request, refusal)
        return redirect(_page_url(contract))
    form = NewContractForm(request.POST)
    if "change" in request.POST:
        return _page(request, contract, new_contract_form=form)
    if not form.is_valid():
        return _page(request, contract, new_contract_form=form, status=400)
    if request.POST.get("confirm") != "yes":
        return render(request, "closeout/new_contract_confirm.html", {
            "contract": contract, "form": form, "today": clock.today(),
            "plan": services.new_contract_plan(closeout, **form.cleaned_data),
        })
    with refused_as_message(request) as refusal:
        new = services.start_new_contract(request.user, closeout, **form.cleaned_data)
    if refusal:
        return redirect(_page_url(contract))
    messages.success(request, f"The new contractor's contract {new} is started: the award is "
                     "recorded and its onboarding timeline begins.")
    return redirect(new.get_absolute_url())


def sweep_runs(request):
    if not permissions.sees_every_contract(request.user):
        raise PermissionDenied("The sweep's runs are for the onboarding team.")
    runs = list(SweepRun.objects.order_by("-started_at", "-pk")[:30])
    return render(request, "closeout/sweeps.html", {"runs": runs, "today": clock.today()})
