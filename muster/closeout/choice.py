"""The closeout's start and the COR's answer: the 60-day notice, then the scenario with what
it asks for (a new record for a re-award, new dates for an extension, a confirmed end)."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from muster import clock, workflow
from muster.access import dua
from muster.accounts.models import ContractRole, User
from muster.accounts.permissions import Action
from muster.audit import services as audit
from muster.contracts import services as contracts
from muster.contracts.models import Contract, DataUseAgreement, Stage
from muster.identity import invitations
from muster.notifications import services as mail
from muster.timeline.services import recompute_due_dates

from .answers import NewDua, Person, as_json
from .models import Closeout, Scenario
from .queries import current_closeout, dua_services_of
from .reaward import make_successor, tell_successor_people
from .rules import FINISHED, NOT_OPEN, CloseoutError, scenario_locked
from .steps import NOTICE_STEP, REMOVE_ACCESS_STEP, SCENARIO_STEP, complete_open, reopen

COR = ContractRole.Role.COR
NOTICE_SENT = "Closeout notice sent to the COR."


@transaction.atomic
def open_closeout(actor, contract_pk: int) -> bool:
    """Send the closeout notice and move the contract to "closing" (once per end date)."""
    contract = Contract.objects.select_for_update().get(pk=contract_pk)
    pop_end = contract.pop_end
    if contract.stage not in (Stage.ONBOARDING, Stage.ACTIVE) or pop_end is None:
        return False
    closeout, created = Closeout.objects.get_or_create(
        contract=contract, pop_end=pop_end, defaults={"notice_sent_at": clock.now()}
    )
    if not created:
        return False
    contracts.change_stage(actor, contract, Contract.begin_closeout)
    audit.record(actor, "closeout.notice_sent", closeout,
                 f"Closeout notice: the period of performance ends {pop_end:%B %-d, %Y}",
                 contract=contract, after={"pop_end": pop_end})
    complete_open(actor, contract, NOTICE_STEP, NOTICE_SENT)
    team = workflow.team_emails()
    mail.queue(
        "closeout_notice", to=workflow.people_with_roles(contract, COR) or team, cc=team,
        contract=contract, key=f"closeout-notice:{contract.pk}:{pop_end.isoformat()}",
        context={"closeout": closeout},
    )
    return True


@transaction.atomic
def choose_scenario(actor, contract: Contract, scenario: int, answers: dict) -> Closeout:
    """Record the COR's scenario with the answers it asks for (validated by its form)."""
    contract = workflow.locked(contract)
    workflow.require(actor, Action.CHOOSE_SCENARIO, contract)
    closeout = current_closeout(contract)
    if closeout is None or contract.stage != Stage.CLOSING:
        raise CloseoutError(NOT_OPEN)
    workflow.check(closeout.choose, CloseoutError(FINISHED))
    if locked := scenario_locked(closeout, scenario):
        raise CloseoutError(locked)
    label = Scenario(scenario).label
    stored = as_json(answers)
    replaced = {"scenario": closeout.scenario, "answers": closeout.answers}
    workflow.transition(
        actor, closeout, closeout.choose, f"Closeout scenario: {label}",
        event="closeout.scenario_chosen", contract=contract, refused=CloseoutError(FINISHED),
        args=[scenario, stored, actor],
        after={"scenario": scenario, "answers": stored, "replaced": replaced})
    # A notice step still open was sent before it had a step of its own (or by hand).
    complete_open(actor, contract, NOTICE_STEP, NOTICE_SENT)
    complete_open(actor, contract, SCENARIO_STEP, f"Scenario chosen: {label}.")
    if scenario == Scenario.EXTENSION:
        _extend(actor, contract, closeout, answers["new_pop_end"])
    elif scenario == Scenario.REAWARD_INCUMBENT:
        closeout.successor = make_successor(actor, contract, answers, closeout.successor)
        closeout.save(update_fields=["successor"])
    elif scenario in (Scenario.OTHER_CONTRACTOR, Scenario.NO_AWARD):
        confirmed = answers.get("pop_end_confirmed")
        if confirmed and confirmed != contract.pop_end:
            contracts.update_contract(actor, contract, pop_end=confirmed)
            closeout.pop_end = confirmed
            closeout.save(update_fields=["pop_end"])
    mail.queue(
        "closeout_scenario", to=workflow.team_emails(),
        cc=workflow.people_with_roles(contract, COR), contract=contract,
        key=f"closeout-scenario:{closeout.pk}:{_chosen_at(closeout)}",
        context={"closeout": closeout, "label": label},
    )
    return closeout


def _chosen_at(closeout: Closeout) -> str:
    """When the scenario was chosen, as the key of its email."""
    assert closeout.chosen_at is not None, "a chosen scenario has its time"
    return closeout.chosen_at.isoformat()


def _extend(actor, contract: Contract, closeout: Closeout, new_pop_end: datetime.date) -> None:
    """The POP is extended: new dates, due steps recomputed, the closeout clock restarts."""
    # The returned row holds the new end: recomputing from the caller's row would keep the
    # reopened steps on the old dates.
    contract = contracts.update_contract(actor, contract, pop_end=new_pop_end)
    reopen(actor, contract, [NOTICE_STEP, SCENARIO_STEP, REMOVE_ACCESS_STEP],
           f"the period of performance was extended to {new_pop_end:%B %-d, %Y}")
    recompute_due_dates(contract)
    contracts.change_stage(actor, contract, Contract.extend)
    workflow.transition(
        actor, closeout, closeout.extend,
        f"Closeout ended by the extension to {new_pop_end:%B %-d, %Y}",
        event="closeout.extended", contract=contract, refused=CloseoutError(FINISHED),
        after={"pop_end": new_pop_end})


@transaction.atomic
def apply_scenario(actor, contract: Contract, scenario: int, answers: dict, *,
                   dua: NewDua | None = None, new_so: Person | None = None,
                   new_spoc: Person | None = None) -> Closeout:
    """The scenario page's one call: record the scenario (choose_scenario) and, in the same
    transaction, what comes with it: a new DUA PDF (re-award: on the new contract record;
    extension: on this contract) and, for a re-award, the new SO and SPOC on the new record.
    All of it is saved or none of it."""
    if dua is not None:
        answers = {**answers, "new_dua_number": dua.number,
                   "new_dua_expiry_date": dua.expiry_date}
    for label, person in (("new_so", new_so), ("new_spoc", new_spoc)):
        if person is not None:
            answers = {**answers, label: {"full_name": person.full_name, "email": person.email,
                                          "harp_id": person.harp_id}}
    try:
        closeout = choose_scenario(actor, contract, scenario, answers)
    except ValidationError as error:  # e.g. a contract number taken a moment ago
        raise CloseoutError(" ".join(error.messages)) from error
    target = contract
    if scenario == Scenario.REAWARD_INCUMBENT and closeout.successor is not None:
        target = closeout.successor
        for person, role in ((new_so, ContractRole.Role.SO), (new_spoc, ContractRole.Role.SPOC)):
            if person is not None:
                named = _person(actor, person)
                contracts.assign_role(actor, target, named, role)
                invitations.person_named(actor, named, contract=target,
                                         as_what=invitations.as_role(role))
        tell_successor_people(contract, target, closeout.answers)
    if dua is not None:
        _store_dua(actor, target, dua, dua_services_of(contract))
    return closeout


def _person(actor, person: Person) -> User:
    """The person with this email (their HARP ID recorded if Muster had none), or a new
    account without a password (they sign in once invited)."""
    user = User.objects.filter(email__iexact=person.email.strip()).first()
    if user is None:
        if User.objects.filter(harp_id__iexact=person.harp_id).exists():
            raise CloseoutError(f"HARP ID {person.harp_id} belongs to someone else in Muster.")
        user = User(email=person.email.strip().lower(), full_name=person.full_name.strip(),
                    harp_id=person.harp_id)
        user.set_unusable_password()
        user.save()
        audit.record(actor, "accounts.user_created", user, f"Created {user.full_name}",
                     after={"email": user.email, "harp_id": user.harp_id})
    elif not user.harp_id:
        user.harp_id = person.harp_id
        user.save(update_fields=["harp_id"])
        audit.record(actor, "accounts.harp_id_set", user, f"Recorded {user}'s HARP ID",
                     before={"harp_id": ""}, after={"harp_id": user.harp_id})
    elif user.harp_id.lower() != person.harp_id.lower():
        raise CloseoutError(f"{person.email} is in Muster with HARP ID {user.harp_id}, "
                            f"not {person.harp_id}.")
    return user


def _store_dua(actor, contract: Contract, new: NewDua, services: list) -> DataUseAgreement:
    """Through access.dua.upload_dua, which also resumes access paused for want of it."""
    try:
        stored, _resumed = dua.upload_dua(
            actor, contract, number=new.number, effective_date=new.effective_date,
            expiry_date=new.expiry_date, document=new.document, services=services,
        )
    except dua.DuaError as error:
        raise CloseoutError(str(error)) from error
    return stored
