"""Scenario 1, the re-award to the incumbent: the new contract record (made, or changed with
the COR's answers), its start on its period of performance, and the team's undo."""

import datetime

from django.db import transaction

from muster import clock, workflow
from muster.access import dua
from muster.access.models import AccessGrant, GrantStatus, PauseReason
from muster.accounts.models import ContractRole
from muster.accounts.permissions import Action
from muster.audit import services as audit
from muster.contracts import services as contracts
from muster.contracts.models import Contract, ContractService, DataUseAgreement, Stage
from muster.notifications import services as mail
from muster.timeline.services import cancel_open_steps, complete_step
from muster.validators import checked_reason

from .ending import GRANTS_THE_END_REMOVES, revoke
from .models import Closeout
from .queries import copied_duas, dua_services_of
from .rules import CARRIED_OVER, CloseoutError, undo_refused
from .steps import SCENARIO_STEP, reopen

COR, SO, SPOC = ContractRole.Role.COR, ContractRole.Role.SO, ContractRole.Role.SPOC


def make_successor(actor, contract: Contract, answers: dict,
                   existing: Contract | None) -> Contract:
    """The new contract record the incumbent's access carries over to. It keeps the
    organization, the people (or the new SO and SPOC), and the approved services."""
    fields = {
        "name": answers.get("new_name") or contract.name,
        "contract_number": answers["new_contract_number"],
        "task_order_number": answers.get("new_task_order_number", ""),
        "pop_start": answers["new_pop_start"], "pop_end": answers["new_pop_end"],
    }
    if existing is not None:
        existing = contracts.update_contract(actor, existing, **fields)
        return _follow_answers(actor, contract, existing, answers)
    # The award date is the one the COR gave, or none: nobody entered the old POP end.
    award_date = answers.get("new_award_date") or None
    successor = contracts.create_contract(
        actor, organization=contract.organization, type_of_work=contract.type_of_work,
        estimated_award_date=award_date, award_date=award_date,
        requirements_summary=contract.requirements_summary, follows=contract, **fields,
    )
    audit.record(actor, "closeout.successor_created", successor,
                 f"Created the new contract record {successor} for the re-award: access "
                 f"carries over to it on {contract.pop_end:%B %-d, %Y}", contract=contract,
                 after={"successor": successor.pk})
    for role in contract.roles.exclude(role=ContractRole.Role.CONTRACTOR_USER):
        contracts.assign_role(actor, successor, role.user, role.role, eua_check=role.eua_check)
    for item in contract.services.filter(status=ContractService.Status.APPROVED):
        ContractService.objects.create(
            contract=successor, service=item.service, status=item.status,
            estimated_users=item.estimated_users, justification=item.justification,
            decided_at=item.decided_at, decided_by=item.decided_by,
            decision_reason="Carried over from the incumbent's previous contract.",
        )
    if answers.get("dua_still_valid"):
        _copy_valid_duas(actor, contract, successor)
    # Already onboarded (carried over): it waits for its period of performance, which the
    # daily sweep starts (start_reawarded_contracts).
    successor = contracts.change_stage(actor, successor, Contract.await_pop_start)
    if fields["pop_start"] <= clock.today():
        successor = contracts.change_stage(actor, successor, Contract.begin_pop)
    # One by one, so each step done by the carry-over is on the new record's history.
    done = f"Re-award to the incumbent of {contract}: onboarding carried over."
    for step in successor.steps.filter(process="onboarding", completed_at__isnull=True):
        complete_step(actor, step, done)
    return successor


def _follow_answers(actor, contract: Contract, successor: Contract,
                    answers: dict) -> Contract:
    """The COR changed a re-award's answers before the carry-over: the new record follows
    them. SO and SPOC unchanged: the current contract's SO and SPOC again (new ones are
    assigned by choice.apply_scenario). DUA still valid: the current DUA copied if missing;
    not valid: a copied DUA is marked invalid (a new DUA uploaded on the record stays)."""
    if answers.get("so_spoc_unchanged"):
        for role in (SO, SPOC):
            current = contract.roles.filter(role=role).first()
            if current is not None:
                contracts.assign_role(actor, successor, current.user, role,
                                      eua_check=current.eua_check)
    copied = copied_duas(contract, successor)
    if answers.get("dua_still_valid"):
        if not copied.exists():
            _copy_valid_duas(actor, contract, successor)
    elif answers.get("dua_still_valid") is False:
        for agreement in copied:
            agreement.invalidated_at, agreement.invalidated_by = clock.now(), actor
            agreement.invalidated_reason = ("The COR now says the DUA is not valid for the "
                                            "re-award.")
            agreement.save(update_fields=["invalidated_at", "invalidated_by",
                                          "invalidated_reason"])
            audit.record(actor, "access.dua_invalidated", agreement,
                         f"DUA {agreement.number} is not valid for the re-award (answer "
                         "changed)", contract=successor,
                         after={"reason": agreement.invalidated_reason})
    return successor


def _copy_valid_duas(actor, contract: Contract, successor: Contract) -> None:
    """The COR says the DUA is still valid for the re-award: the new record holds it too
    (same signed document), so its DUA services stay usable and its expiry still counts."""
    today = clock.today()
    for agreement in contract.duas.filter(invalidated_at__isnull=True, expiry_date__gte=today):
        copy = DataUseAgreement.objects.create(
            contract=successor, number=agreement.number,
            effective_date=agreement.effective_date, expiry_date=agreement.expiry_date,
            document=agreement.document.name, uploaded_by=agreement.uploaded_by,
            uploaded_at=agreement.uploaded_at,
        )
        copy.services.set(agreement.services.all())
        audit.record(actor, "access.dua_carried_over", copy,
                     f"DUA {agreement.number} still valid for the re-award: kept on "
                     f"{successor}", contract=successor,
                     after={"number": agreement.number, "expiry_date": agreement.expiry_date,
                            "from_contract": contract.pk})


def tell_successor_people(contract: Contract, successor: Contract, answers: dict) -> None:
    """The SO and SPOC of the new record hear of it as soon as they are named: what it is,
    its dates, what they will need to do. Once per person and role on the record."""
    dua_needed = bool(dua_services_of(contract)) and not answers.get("dua_still_valid") \
        and not answers.get("new_dua_number")
    for role in successor.roles.filter(role__in=[SO, SPOC]).select_related("user"):
        if not role.user.is_active:
            continue
        mail.queue(
            "successor_named", to=[role.user], contract=successor,
            key=f"successor-named:{successor.pk}:{role.role}:{role.user_id}",
            context={"predecessor": contract, "person": role.user, "moves_on": contract.pop_end,
                     "role_label": role.get_role_display(), "dua_needed": dua_needed,
                     "services": list(successor.services.select_related("service"))},
        )


# --- The new record's start ---------------------------------------------------------------


def start_reawarded_contracts(day: datetime.date) -> int:
    """A re-award's new record waits in "reawarded" until its period of performance
    starts; on that day (or the first sweep after it) it becomes active."""
    due = Contract.objects.filter(stage=Stage.REAWARDED, pop_start__lte=day).order_by("pk")
    return sum(1 for pk in due.values_list("pk", flat=True) if _start_reawarded(pk, day))


@transaction.atomic
def _start_reawarded(contract_pk: int, day: datetime.date) -> bool:
    contract = Contract.objects.select_for_update().get(pk=contract_pk)
    if contract.stage != Stage.REAWARDED or contract.pop_start is None \
            or contract.pop_start > day:
        return False
    contracts.change_stage(None, contract, Contract.begin_pop)
    _resume_at_pop_start(contract, day)
    return True


def _resume_at_pop_start(contract: Contract, day: datetime.date) -> None:
    """The new POP began: access waiting for it resumes, except on a DUA service without a
    valid DUA, which stays paused for that reason until a DUA is uploaded."""
    waiting = AccessGrant.objects.select_for_update().filter(
        contract=contract, status=GrantStatus.PAUSED,
        pause_reason=PauseReason.WAITING_FOR_POP).select_related("user", "service")
    for grant in waiting:
        if grant.service.requires_dua and dua.valid_dua(contract, day, grant.service) is None:
            grant.pause_reason = PauseReason.DUA_LAPSED
            grant.save(update_fields=["pause_reason", "updated_at"])
            summary = (f"{grant.service} for {grant.user} stays paused: the period of "
                       "performance began, but no valid Data Use Agreement is on file")
        else:
            grant.resume()
            grant.pause_reason = ""
            grant.save(update_fields=["status", "pause_reason", "updated_at"])
            summary = (f"Resumed {grant.service} for {grant.user}: the period of "
                       "performance began")
        audit.record(None, "access.grant_resumed" if grant.status != GrantStatus.PAUSED
                     else "access.grant_paused", grant, summary, contract=contract,
                     before={"status": GrantStatus.PAUSED,
                             "pause_reason": PauseReason.WAITING_FOR_POP},
                     after={"status": grant.status, "pause_reason": grant.pause_reason})


# --- The team's undo --------------------------------------------------------------------


@transaction.atomic
def undo_reaward(actor, closeout: Closeout, reason: str) -> Contract:
    """The onboarding team undoes a re-award chosen by mistake, before the carry-over: the
    new record is withdrawn (kept, never deleted: the record refers to it), its number
    freed, and the COR chooses a scenario again. Returns the withdrawn record."""
    contract = workflow.locked(closeout.contract)
    closeout = workflow.locked(closeout, related=["contract"])
    workflow.require(actor, Action.UNDO_REAWARD, contract)
    reason = checked_reason(reason, "the COR and the people named on both contracts read it.",
                            CloseoutError)
    if refusal := undo_refused(closeout, clock.today()):
        raise CloseoutError(refusal)
    assert closeout.successor is not None, "undo_refused: a re-award has its new record"
    successor = workflow.locked(closeout.successor)
    why = f"the re-award was undone by the onboarding team: {reason}"
    grants = list(AccessGrant.objects.select_for_update().filter(
        contract=successor, status__in=GRANTS_THE_END_REMOVES))
    revoke(actor, successor, grants, why)
    for process in set(successor.steps.values_list("process", flat=True)):
        cancel_open_steps(actor, successor, process, why)
    number = successor.contract_number
    # The number is the new contract's: free it for the COR's next answer.
    successor = contracts.update_contract(
        actor, successor, contract_number=f"WITHDRAWN-{successor.pk}-{number}"[:60])
    successor = contracts.change_stage(actor, successor, Contract.withdraw_reaward)
    parties = workflow.people_with_roles(successor, SO, SPOC)
    reopen(actor, contract, [SCENARIO_STEP], why)
    after = {"reason": reason, "withdrawn": successor.pk, "contract_number": number}
    workflow.transition(
        actor, closeout, closeout.undo_choice,
        f"Re-award undone: {successor.name} ({number}) withdrawn. {reason}",
        event="closeout.reaward_undone", contract=contract,
        refused=CloseoutError(CARRIED_OVER),
        after={**after, "replaced": {"scenario": closeout.scenario,
                                     "answers": closeout.answers,
                                     "successor": successor.pk}})
    audit.record(actor, "closeout.reaward_withdrawn", successor,
                 f"Withdrawn: the re-award of {contract} was undone. {reason}",
                 contract=successor, after={**after, "predecessor": contract.pk})
    mail.queue(
        "reaward_undone", to=workflow.people_with_roles(contract, COR) or workflow.team_emails(),
        cc=parties + workflow.people_with_roles(contract, SO, SPOC) + workflow.team_emails(),
        contract=contract, key=f"reaward-undone:{successor.pk}",
        context={"actor": actor, "reason": reason, "withdrawn": successor, "number": number},
    )
    return successor
