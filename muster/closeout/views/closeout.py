"""The closeout of a contract as the COR and the onboarding team use it. Thin: parse,
authorize (accounts.permissions), call one service, render or redirect with a message;
pages ask `{% may %}` what the person may do."""

import datetime
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from muster import clock
from muster.accounts import permissions
from muster.accounts.permissions import Action
from muster.actions import act, refused_as_form_error, refused_as_message

from .. import pending, queries, removal
from ..choice import apply_scenario
from ..forms import ArchiveForm, ConfirmRemovalForm, NewContractForm, UndoReawardForm
from ..models import Closeout, Scenario
from ..new_contract import start_new_contract as start_new_contract_service
from ..reaward import undo_reaward as undo_reaward_service
from ..rules import choosing_refused, new_contract_refused, undo_refused
from ..scenario_forms import FORMS, answer_rows, initial_answers

REMOVED_STATUSES = (Closeout.Status.ACCESS_REMOVED, Closeout.Status.CARRIED_OVER)


def _page_url(contract) -> str:
    return reverse("closeout:closeout", args=[contract.pk])


def _team_forms(contract, closeout, today, *, archive_form=None, removal_form=None,
                new_contract_form=None) -> dict:
    """The forms the team's section offers at this point of the closeout (the page shows
    them to the team only)."""
    if closeout is None:
        return {"archive_form": archive_form, "removal_form": removal_form,
                "new_contract_form": new_contract_form}
    if removal_form is None and closeout.status in REMOVED_STATUSES \
            and closeout.removal_confirmed_at is None \
            and not queries.removal_done_by_carry_over(closeout):
        removal_form = ConfirmRemovalForm()
    if archive_form is None and closeout.scenario:
        archive_form = ArchiveForm(initial={"note": closeout.archive_note})
    if new_contract_form is None and not new_contract_refused(closeout):
        new_contract_form = NewContractForm(initial={
            "name": contract.name, "award_date": today,
            "pop_start": contract.pop_end + datetime.timedelta(days=1)
            if contract.pop_end else None,
        })
    return {"archive_form": archive_form, "removal_form": removal_form,
            "new_contract_form": new_contract_form}


def _page(request, contract, *, undo_form=None, status=200, **bound):
    user = request.user
    today = clock.today()
    closeout = queries.current_closeout(contract)
    forms = _team_forms(contract, closeout, today, **bound)
    # The team's way out of a re-award chosen by mistake, while it can still be undone.
    if undo_refused(closeout, today):
        undo_form = None
    elif undo_form is None:
        undo_form = UndoReawardForm()
    notice_on = (contract.pop_end - datetime.timedelta(days=60)) if contract.pop_end else None
    return render(request, "closeout/closeout.html", {
        "contract": contract,
        "closeout": closeout,
        "answers": answer_rows(closeout) if closeout else [],
        "earlier": queries.earlier_closeouts(contract, closeout),
        # Links only to the records this person may open (a new SO is not on the old one).
        "predecessors": [p for p in queries.predecessors(contract)
                         if permissions.can(user, Action.VIEW_CONTRACT, p.contract)],
        "today": today,
        "days_to_pop_end": (contract.pop_end - today).days if contract.pop_end else None,
        "days_since_pop_end": (today - contract.pop_end).days if contract.pop_end else None,
        "notice_on": notice_on,
        "steps": queries.offboarding_steps(contract, today),
        "scenarios": [form.card() for form in FORMS.values()],
        "refusal": choosing_refused(contract),
        **forms,
        "undo_form": undo_form,
        "has_errors": any(f.is_bound and f.errors for f in [*forms.values(), undo_form]
                          if f is not None),
    }, status=status)


def closeout(request, pk):
    contract = permissions.contract_for(request.user, pk, Action.VIEW_CONTRACT)
    return _page(request, contract)


def _success_message(closeout: Closeout, contract, form) -> str:
    label = closeout.get_scenario_display()
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
    refusal = choosing_refused(contract)
    if refusal:
        messages.error(request, refusal)
        return redirect(_page_url(contract))
    closeout = queries.current_closeout(contract)
    form_class = FORMS[scenario]
    kept = None
    if request.method == "POST":
        files, kept = _files_with_pending_dua(request, contract)
        form = form_class(request.POST, files, contract=contract, closeout=closeout)
    else:
        form = form_class(contract=contract, closeout=closeout,
                          initial=initial_answers(closeout, scenario))
    # A re-award creates a contract record: its answers are shown for confirmation first
    # (a GET never gets this far with a valid form).
    confirming = scenario == Scenario.REAWARD_INCUMBENT and request.method == "POST"
    if confirming and form.is_valid() and "confirm" not in request.POST:
        if "change" not in request.POST:
            return _confirm_reaward(request, contract, closeout, form, kept)
        return _scenario_page(request, contract, closeout, form, kept)
    if request.method == "POST" and form.is_valid():
        with refused_as_form_error(form) as refusal:
            chosen = apply_scenario(
                request.user, contract, scenario, form.answers(), dua=form.dua(),
                new_so=form.new_so(), new_spoc=form.new_spoc(),
            )
        if not refusal:
            pending.discard(kept)
            messages.success(request, _success_message(chosen, contract, form))
            return redirect(_page_url(contract))
    return _scenario_page(request, contract, closeout, form, kept)


def _scenario_page(request, contract, closeout, form, kept=None):
    return render(request, "closeout/scenario.html", {
        "contract": contract,
        "closeout": closeout,
        "form": form,
        "scenario": form.card(),
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
    plan = queries.reaward_plan(contract, closeout, form.answers(), dua=form.dua(),
                                new_so=form.new_so(), new_spoc=form.new_spoc())
    hidden = [(name, value) for name in form.fields if name != "dua_document"
              for value in request.POST.getlist(name)]
    return render(request, "closeout/reaward_confirm.html", {
        "contract": contract, "closeout": closeout, "plan": plan, "hidden": hidden,
        "pending_dua": kept,
    })


def _current(contract) -> Closeout:
    closeout = queries.current_closeout(contract)
    if closeout is None:
        raise Http404("This contract has no closeout yet.")
    return closeout


def _act_on_closeout(request, pk, action: Action, form_class, page_form: str, *,
                     call, done: str | Callable[[Any], str]):
    """A team's POST on the closeout with a form: a form with errors shows on the page
    again (as `page_form`); `call(closeout, data)` the service; back to the page."""
    contract = permissions.contract_for(request.user, pk, action)
    closeout = _current(contract)
    return act(request, form=form_class(request.POST),
               invalid=lambda form: _page(request, contract, **{page_form: form}),
               call=lambda data: call(closeout, data), done=done, then=_page_url(contract))


@require_POST
def undo_reaward(request, pk):
    return _act_on_closeout(
        request, pk, Action.UNDO_REAWARD, UndoReawardForm, "undo_form",
        call=lambda closeout, data: undo_reaward_service(request.user, closeout,
                                                         data["reason"]),
        done=lambda withdrawn: f"The re-award is undone: {withdrawn.name} is withdrawn, and "
        "the COR is emailed to choose the closeout scenario again.")


@require_POST
def confirm_removal(request, pk):
    return _act_on_closeout(
        request, pk, Action.CONFIRM_REMOVAL, ConfirmRemovalForm, "removal_form",
        call=lambda closeout, data: removal.confirm_removal(request.user, closeout,
                                                            data["note"]),
        done="The removal of access is confirmed: the timeline's “Contract removed from "
        "services” step is done.")


@require_POST
def record_archive(request, pk):
    """A refusal shows on the form (the note to correct), not as a message."""
    contract = permissions.contract_for(request.user, pk, Action.CONFIRM_REMOVAL)
    closeout = _current(contract)
    form = ArchiveForm(request.POST)
    if not form.is_valid():
        return _page(request, contract, archive_form=form, status=400)
    with refused_as_form_error(form, "note") as refusal:
        removal.record_archive(request.user, closeout, form.cleaned_data["note"])
    if refusal:
        return _page(request, contract, archive_form=form, status=400)
    messages.success(request, "The data archive is recorded.")
    return redirect(_page_url(contract))


@require_POST
def start_new_contract(request, pk):
    """Two steps on one POST address: the form's values first show what will be created
    (nothing is saved); "Confirm" creates it, "Change" goes back with the values typed.
    Once created, the new contract's page follows; a refusal stays on the closeout."""
    contract = permissions.contract_for(request.user, pk, Action.CONFIRM_REMOVAL)
    closeout = _current(contract)
    if refusal := new_contract_refused(closeout):
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
            "plan": queries.new_contract_plan(closeout, **form.cleaned_data),
        })
    with refused_as_message(request) as refused:
        new = start_new_contract_service(request.user, closeout, **form.cleaned_data)
    if refused:
        return redirect(_page_url(contract))
    messages.success(request, f"The new contractor's contract {new} is started: the award is "
                     "recorded and its onboarding timeline begins.")
    return redirect(new.get_absolute_url())


def sweep_runs(request):
    if not permissions.allows(request.user, "closeout.see_sweep_runs", None):
        raise PermissionDenied("The sweep's runs are for the onboarding team.")
    return render(request, "closeout/sweeps.html", {"runs": queries.latest_sweep_runs(),
                                                    "today": clock.today()})
