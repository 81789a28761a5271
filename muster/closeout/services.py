"""Closeout actions: open the cycle (the 60-day notice), record the COR's scenario, end
the contract's access on its last day, confirm removal and the data archive."""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from muster import clock
from muster.access.models import AccessGrant, GrantStatus, PauseReason
from muster.accounts import permissions
from muster.accounts.models import ContractRole, TeamRole, User
from muster.accounts.permissions import Action
from muster.audit import services as audit
from muster.contracts import services as contracts
from muster.contracts.models import Contract, ContractService, DataUseAgreement, Stage
from muster.errors import DomainError, NotAllowed
from muster.notifications import services as mail
from muster.timeline.models import ContractStep
from muster.validators import checked_reason

from .models import Closeout, Scenario

LIVE = [GrantStatus.REQUESTED, GrantStatus.ACTIVE, GrantStatus.PAUSED]
# Stages in which a contract still holds access that its end must remove.
ENDABLE = [Stage.AWARDED, Stage.ONBOARDING, Stage.ACTIVE, Stage.CLOSING]
# The timeline steps closeout completes: the notice going out, the COR's scenario, and the
# onboarding team's confirmation that access is removed.
NOTICE_STEP = "closeout-notice"
SCENARIO_STEP = "closeout-scenario"
REMOVE_ACCESS_STEP = "remove-access"


class CloseoutError(DomainError):
    """A closeout action that is not allowed now; the message says why."""


def _holders(contract, *roles) -> list:
    return [r.user for r in contract.roles.filter(role__in=roles).select_related("user")]


def _team() -> list[str]:
    return permissions.emails_of_team_role(TeamRole.Role.ONBOARDING_TEAM)


def current_closeout(contract: Contract) -> Closeout | None:
    return contract.closeouts.order_by("-notice_sent_at", "-pk").first()


@transaction.atomic
def open_closeout(actor, contract_pk: int) -> bool:
    """Send the closeout notice and move the contract to "closing" (once per end date)."""
    contract = Contract.objects.select_for_update().get(pk=contract_pk)
    if contract.stage not in (Stage.ONBOARDING, Stage.ACTIVE) or contract.pop_end is None:
        return False
    closeout, created = Closeout.objects.get_or_create(
        contract=contract, pop_end=contract.pop_end, defaults={"notice_sent_at": clock.now()}
    )
    if not created:
        return False
    contracts.change_stage(actor, contract, Contract.begin_closeout)
    audit.record(actor, "closeout.notice_sent", closeout,
                 f"Closeout notice: the period of performance ends {contract.pop_end:%B %-d, %Y}",
                 contract=contract, after={"pop_end": contract.pop_end})
    _complete_open(actor, contract, NOTICE_STEP, "Closeout notice sent to the COR.")
    mail.queue(
        "closeout_notice", to=_holders(contract, ContractRole.Role.COR) or _team(), cc=_team(),
        contract=contract, key=f"closeout-notice:{contract.pk}:{contract.pop_end.isoformat()}",
        context={"closeout": closeout},
    )
    return True


def _complete_open(actor, contract: Contract, key: str, note: str) -> None:
    step = contract.steps.filter(key=key, completed_at__isnull=True).first()
    if step is not None:
        from muster.timeline.services import complete_step

        complete_step(actor, step, note)


def _reopen(actor, contract: Contract, keys: list[str], reason: str) -> None:
    steps = list(ContractStep.objects.filter(contract=contract, key__in=keys,
                                             completed_at__isnull=False))
    ContractStep.objects.filter(pk__in=[s.pk for s in steps]).update(
        completed_at=None, completed_by=None, completion_note=""
    )
    for step in steps:
        audit.record(actor, "timeline.step_reopened", step, f"Reopened “{step.name}”: {reason}",
                     contract=contract,
                     before={"completed_at": step.completed_at, "note": step.completion_note},
                     after={"reason": reason})


@transaction.atomic
def choose_scenario(actor, contract: Contract, scenario: int, answers: dict) -> Closeout:
    """Record the COR's scenario with the answers it asks for (validated by its form)."""
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if not permissions.can(actor, Action.CHOOSE_SCENARIO, contract):
        raise NotAllowed("Only the contract's COR chooses the closeout scenario.")
    closeout = current_closeout(contract)
    if closeout is None or contract.stage != Stage.CLOSING:
        raise CloseoutError("The closeout opens 60 days before the end of performance.")
    if closeout.status not in (Closeout.Status.NOTICE_SENT, Closeout.Status.SCENARIO_CHOSEN):
        raise CloseoutError("This closeout is finished; its scenario cannot change.")
    if closeout.successor_id is not None and scenario != closeout.scenario:
        raise CloseoutError(
            f"A new contract record ({closeout.successor}) was already made for the "
            f"“{Scenario(closeout.scenario).label}” scenario; the scenario cannot change now. "
            "The onboarding team can undo the re-award before the end of performance: "
            "ask them."
        )
    before = {"scenario": closeout.scenario, "answers": closeout.answers}
    closeout.scenario, closeout.answers = scenario, _json(answers)
    closeout.chosen_by, closeout.chosen_at = actor, clock.now()
    closeout.status = Closeout.Status.SCENARIO_CHOSEN
    closeout.save()
    label = Scenario(scenario).label
    audit.record(actor, "closeout.scenario_chosen", closeout, f"Closeout scenario: {label}",
                 contract=contract, before=before,
                 after={"scenario": scenario, "answers": closeout.answers})
    # A notice step still open was sent before it had a step of its own (or by hand).
    _complete_open(actor, contract, NOTICE_STEP, "Closeout notice sent to the COR.")
    _complete_open(actor, contract, SCENARIO_STEP, f"Scenario chosen: {label}.")
    if scenario == Scenario.EXTENSION:
        _extend(actor, contract, closeout, answers["new_pop_end"])
    elif scenario == Scenario.REAWARD_INCUMBENT:
        closeout.successor = _successor(actor, contract, answers, closeout.successor)
        closeout.save(update_fields=["successor"])
    elif scenario in (Scenario.OTHER_CONTRACTOR, Scenario.NO_AWARD):
        confirmed = answers.get("pop_end_confirmed")
        if confirmed and confirmed != contract.pop_end:
            contracts.update_contract(actor, contract, pop_end=confirmed)
            closeout.pop_end = confirmed
            closeout.save(update_fields=["pop_end"])
    mail.queue(
        "closeout_scenario", to=_team(), cc=_holders(contract, ContractRole.Role.COR),
        contract=contract, key=f"closeout-scenario:{closeout.pk}:{closeout.chosen_at.isoformat()}",
        context={"closeout": closeout, "label": label},
    )
    return closeout


def _successor(actor, contract: Contract, answers: dict, existing: Contract | None) -> Contract:
    """Scenario 1: the new contract record the incumbent's access carries over to. It keeps
    the organization, the people (or the new SO and SPOC), and the approved services."""
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
    if successor.pop_start <= clock.today():
        successor = contracts.change_stage(actor, successor, Contract.begin_pop)
    from muster.timeline.services import complete_step

    # One by one, so each step done by the carry-over is on the new record's history.
    done = f"Re-award to the incumbent of {contract}: onboarding carried over."
    for step in successor.steps.filter(process="onboarding", completed_at__isnull=True):
        complete_step(actor, step, done)
    return successor


def _follow_answers(actor, contract: Contract, successor: Contract,
                    answers: dict) -> Contract:
    """The COR changed a re-award's answers before the carry-over: the new record follows
    them. SO and SPOC unchanged: the current contract's SO and SPOC again (new ones are
    assigned by apply_scenario). DUA still valid: the current DUA copied if missing; not
    valid: a copied DUA is marked invalid (a new DUA uploaded on the record stays)."""
    if answers.get("so_spoc_unchanged"):
        for role in (ContractRole.Role.SO, ContractRole.Role.SPOC):
            current = contract.roles.filter(role=role).first()
            if current is not None:
                contracts.assign_role(actor, successor, current.user, role,
                                      eua_check=current.eua_check)
    copied = _copied_duas(contract, successor)
    if answers.get("dua_still_valid"):
        if not copied.exists():
            _copy_valid_duas(actor, contract, successor)
    elif answers.get("dua_still_valid") is False:
        for dua in copied:
            dua.invalidated_at, dua.invalidated_by = clock.now(), actor
            dua.invalidated_reason = ("The COR now says the DUA is not valid for the "
                                      "re-award.")
            dua.save(update_fields=["invalidated_at", "invalidated_by",
                                    "invalidated_reason"])
            audit.record(actor, "access.dua_invalidated", dua,
                         f"DUA {dua.number} is not valid for the re-award (answer changed)",
                         contract=successor, after={"reason": dua.invalidated_reason})
    return successor


def _copied_duas(contract: Contract, successor: Contract):
    """The successor's still-valid DUAs that are copies of the current contract's."""
    originals = contract.duas.values_list("document", flat=True)
    return successor.duas.filter(invalidated_at__isnull=True, document__in=list(originals))


def _copy_valid_duas(actor, contract: Contract, successor: Contract) -> None:
    """The COR says the DUA is still valid for the re-award: the new record holds it too
    (same signed document), so its DUA services stay usable and its expiry still counts."""
    today = clock.today()
    for dua in contract.duas.filter(invalidated_at__isnull=True, expiry_date__gte=today):
        copy = DataUseAgreement.objects.create(
            contract=successor, number=dua.number, effective_date=dua.effective_date,
            expiry_date=dua.expiry_date, document=dua.document.name,
            uploaded_by=dua.uploaded_by, uploaded_at=dua.uploaded_at,
        )
        copy.services.set(dua.services.all())
        audit.record(actor, "access.dua_carried_over", copy,
                     f"DUA {dua.number} still valid for the re-award: kept on {successor}",
                     contract=successor, after={"number": dua.number,
                                                "expiry_date": dua.expiry_date,
                                                "from_contract": contract.pk})


def _json(answers: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, datetime.date) else v)
            for k, v in answers.items() if not hasattr(v, "read")}


def _extend(actor, contract: Contract, closeout: Closeout, new_pop_end: datetime.date) -> None:
    """The POP is extended: new dates, due steps recomputed, the closeout clock restarts."""
    # The returned row holds the new end: recomputing from the caller's row would keep the
    # reopened steps on the old dates.
    contract = contracts.update_contract(actor, contract, pop_end=new_pop_end)
    _reopen(actor, contract, [NOTICE_STEP, SCENARIO_STEP, REMOVE_ACCESS_STEP],
            f"the period of performance was extended to {new_pop_end:%B %-d, %Y}")
    from muster.timeline.services import recompute_due_dates

    recompute_due_dates(contract)
    contracts.change_stage(actor, contract, Contract.extend)
    closeout.status = Closeout.Status.EXTENDED
    closeout.save(update_fields=["status"])


@dataclass
class EndReport:
    contracts: int = 0
    revoked: int = 0
    carried_over: int = 0


def end_due_contracts(day: datetime.date) -> EndReport:
    """On the last day of performance, every grant is revoked (or, for a re-award to the
    incumbent, carried over to the new contract) and the contract closes."""
    report = EndReport()
    due = Contract.objects.filter(stage__in=ENDABLE, pop_end__lte=day).values_list(
        "pk", flat=True
    )
    for pk in due:
        revoked, carried = end_contract(None, pk, day)
        if revoked is not None:
            report.contracts += 1
            report.revoked += revoked
            report.carried_over += carried
    return report


@transaction.atomic
def end_contract(actor, contract_pk: int, day: datetime.date) -> tuple[int | None, int]:
    contract = Contract.objects.select_for_update().get(pk=contract_pk)
    if contract.stage not in ENDABLE or contract.pop_end is None or contract.pop_end > day:
        return None, 0
    closeout, _ = Closeout.objects.get_or_create(
        contract=contract, pop_end=contract.pop_end, defaults={"notice_sent_at": clock.now()}
    )
    grants = list(AccessGrant.objects.select_for_update().filter(
        contract=contract, status__in=LIVE).select_related("user", "service"))
    successor = closeout.successor if closeout.scenario == Scenario.REAWARD_INCUMBENT else None
    paused, moved = [], []
    if successor is not None:
        moved, left = _carry_over(contract, successor, grants)
        paused = _pause_without_dua(successor, moved, day, predecessor=contract)
        paused += _pause_until_pop_start(successor, moved, day)
        _revoke(actor, contract, left, "not approved on the new contract")
        carried, revoked = len(moved), len(left)
        closeout.status = Closeout.Status.CARRIED_OVER
        _record_carry_over(contract, successor, day, moved, left, paused)
    else:
        _revoke(actor, contract, grants, "end of performance")
        revoked, carried = len(grants), 0
        closeout.status = Closeout.Status.ACCESS_REMOVED
    closeout.access_removed_on = day
    closeout.save(update_fields=["status", "access_removed_on"])
    contracts.change_stage(actor, contract, Contract.close)
    if successor is not None:
        _email_carry_over(contract, successor, closeout, moved)
        return revoked, carried
    mail.queue(
        # The SO, or the COR when the contract never named one: someone must hear of it.
        "access_removed", to=_holders(contract, ContractRole.Role.SO)
        or _holders(contract, ContractRole.Role.COR),
        cc=_holders(contract, ContractRole.Role.COR, ContractRole.Role.SPOC) + _team(),
        contract=contract, key=f"access_removed:{contract.pk}:{contract.pop_end.isoformat()}",
        context={"closeout": closeout, "grants": grants},
    )
    return revoked, carried


def _revoke(actor, contract: Contract, grants: list, why: str) -> None:
    for grant in grants:
        before = grant.status
        grant.revoke()
        grant.revoked_at = clock.now()
        grant.save()
        audit.record(actor, "access.revoked", grant,
                     f"Revoked {grant.user}'s {grant.service} access: {why}",
                     contract=contract, before={"status": before},
                     after={"status": grant.status})


def _record_carry_over(contract: Contract, successor: Contract, day: datetime.date,
                       moved: list, left: list, paused: list) -> None:
    """The carry-over told on both records, each naming the other; and the old record's
    "Contract removed from services" step done with that evidence (nothing is left for
    the team to remove there)."""
    evidence = (f"Access carried over to {successor} on {day:%B %-d, %Y}: "
                f"{len(moved)} grant(s) moved")
    if paused:
        evidence += f", {len(paused)} paused there until a valid DUA is uploaded"
    if left:
        evidence += f", {len(left)} revoked (not approved on the new contract)"
    evidence += "."
    grants = [f"{g.user}: {g.service}" for g in moved]
    audit.record(None, "closeout.access_carried_over", successor, evidence, contract=contract,
                 after={"successor": successor.pk, "grants": grants,
                        "paused": [f"{g.user}: {g.service}" for g in paused]})
    audit.record(None, "closeout.access_carried_in", contract,
                 f"Access of {contract} carried over to this contract: {len(moved)} grant(s)",
                 contract=successor, after={"predecessor": contract.pk, "grants": grants})
    _complete_open(None, contract, REMOVE_ACCESS_STEP, evidence)


def _email_carry_over(contract: Contract, successor: Contract, closeout: Closeout,
                      moved: list) -> None:
    """The people of the new record hear what concerns it (the access they now hold, what
    paused, the DUA to upload); those of the old record who are not on the new one hear
    that its access ended there. Every link opens for every recipient."""
    team = _team()
    # Paused now, or already paused on the old record when its DUA lapsed: both wait for
    # a valid DUA on the new record.
    paused = [g for g in moved if g.status == GrantStatus.PAUSED
              and g.pause_reason == PauseReason.DUA_LAPSED]
    # A new POP that starts after a gap: the access waits for it (the sweep resumes it).
    waiting = [g for g in moved if g.status == GrantStatus.PAUSED
               and g.pause_reason == PauseReason.WAITING_FOR_POP]
    mail.queue(
        "access_carried_in", to=_holders(successor, ContractRole.Role.SO)
        or _holders(successor, ContractRole.Role.COR),
        cc=_holders(successor, ContractRole.Role.COR, ContractRole.Role.SPOC) + team,
        contract=successor, key=f"access_carried_in:{successor.pk}:{closeout.pk}",
        context={"predecessor": contract, "closeout": closeout, "grants": moved,
                 "paused": paused, "waiting": waiting},
    )
    on_successor = set(successor.roles.values_list("user_id", flat=True))
    left_behind = [u for u in _holders(contract, ContractRole.Role.SO, ContractRole.Role.SPOC)
                   if u.pk not in on_successor]
    mail.queue(
        "access_carried_over", to=left_behind, contract=contract,
        key=f"access_carried_over:{contract.pk}:{contract.pop_end.isoformat()}",
        context={"closeout": closeout, "grants": moved, "successor": successor},
    )


def _pause_without_dua(successor: Contract, grants: list, day: datetime.date,
                       predecessor: Contract | None = None) -> list:
    """Re-award with a DUA that is no longer valid: access to DUA services on the new
    record pauses (reason: DUA lapsed) until a valid DUA is uploaded there, which resumes
    exactly these grants (access.dua.upload_dua)."""
    from muster.access import dua

    paused = []
    for grant in grants:
        if not grant.service.requires_dua or grant.status == GrantStatus.PAUSED:
            continue
        if dua.valid_dua(successor, day, grant.service) is not None:
            continue
        before = grant.status
        grant.pause()
        grant.pause_reason, grant.paused_at = PauseReason.DUA_LAPSED, clock.now()
        grant.save(update_fields=["status", "pause_reason", "paused_at", "updated_at"])
        audit.record(None, "access.grant_paused", grant,
                     f"Paused {grant.service} for {grant.user}: the re-awarded contract "
                     "has no valid Data Use Agreement yet", contract=successor,
                     before={"status": before},
                     after={"status": grant.status, "pause_reason": grant.pause_reason,
                            **({"predecessor": predecessor.pk} if predecessor else {})})
        if predecessor is not None:
            audit.record(None, "access.grant_paused", grant,
                         f"Paused {grant.service} for {grant.user} on {successor}: it has "
                         "no valid Data Use Agreement yet", contract=predecessor,
                         after={"successor": successor.pk, "status": grant.status,
                                "pause_reason": grant.pause_reason})
        paused.append(grant)
    return paused


def _carry_over(contract: Contract, successor: Contract, grants: list) -> tuple[list, list]:
    """Re-award to the incumbent: the roster and live grants move to the new record.
    Returns the grants moved and those left behind (their service is not approved on the
    new record: the caller revokes them, a closed contract keeps no live access)."""
    for role in contract.roles.filter(role=ContractRole.Role.CONTRACTOR_USER):
        ContractRole.objects.get_or_create(contract=successor, user=role.user, role=role.role)
    approved = set(successor.services.filter(status=ContractService.Status.APPROVED)
                   .values_list("service_id", flat=True))
    held = set(AccessGrant.objects.filter(contract=successor, status__in=LIVE)
               .values_list("user_id", "service_id"))
    moved, left = [], []
    for grant in grants:
        # Not approved on the new record, or the person already holds it there.
        if grant.service_id not in approved or (grant.user_id, grant.service_id) in held:
            left.append(grant)
            continue
        grant.contract = successor
        grant.save(update_fields=["contract", "updated_at"])
        audit.record(None, "access.carried_over", grant,
                     f"{grant.user}'s {grant.service} access carried over from {contract}",
                     contract=successor, before={"contract": contract.pk},
                     after={"contract": successor.pk, "predecessor": contract.pk})
        audit.record(None, "access.carried_over", grant,
                     f"{grant.user}'s {grant.service} access carried over to {successor}",
                     contract=contract, before={"contract": contract.pk},
                     after={"contract": successor.pk, "successor": successor.pk})
        moved.append(grant)
    return moved, left


@transaction.atomic
def confirm_removal(actor, closeout: Closeout, note: str = "") -> Closeout:
    """The onboarding team confirms the removal of access (the timeline's last step)."""
    closeout = Closeout.objects.select_for_update().select_related("contract").get(pk=closeout.pk)
    contract = closeout.contract
    if not permissions.can(actor, Action.CONFIRM_REMOVAL, contract):
        raise NotAllowed("The onboarding team confirms the removal of access.")
    if closeout.status not in (Closeout.Status.ACCESS_REMOVED, Closeout.Status.CARRIED_OVER):
        raise CloseoutError("Access is removed on the last day of performance; confirm it then.")
    if closeout.removal_confirmed_at is not None:
        raise CloseoutError("The removal of access was already confirmed.")
    if removal_done_by_carry_over(closeout):
        raise CloseoutError(f"Nothing to confirm: access carried over to {closeout.successor} "
                            "and “Contract removed from services” is done with that evidence.")
    closeout.removal_confirmed_by, closeout.removal_confirmed_at = actor, clock.now()
    closeout.save(update_fields=["removal_confirmed_by", "removal_confirmed_at"])
    step = contract.steps.filter(key=REMOVE_ACCESS_STEP, completed_at__isnull=True).first()
    if step is not None:
        from muster.timeline.services import complete_step

        complete_step(actor, step, note or "Removal of access confirmed by the onboarding team.")
    audit.record(actor, "closeout.removal_confirmed", closeout, "Confirmed removal of access",
                 contract=contract)
    return closeout


@transaction.atomic
def record_archive(actor, closeout: Closeout, note: str) -> Closeout:
    closeout = Closeout.objects.select_for_update().select_related("contract").get(pk=closeout.pk)
    if not permissions.can(actor, Action.CONFIRM_REMOVAL, closeout.contract):
        raise NotAllowed("The onboarding team records the data archive.")
    if not closeout.scenario:
        # What to archive comes with the COR's scenario: nothing to record before it.
        raise CloseoutError("The data archive is recorded once the COR has chosen the "
                            "closeout scenario, which says what data to archive.")
    if not note.strip():
        raise CloseoutError("Say what was archived and where.")
    closeout.data_archived_by, closeout.data_archived_at = actor, clock.now()
    closeout.archive_note = note.strip()
    closeout.save(update_fields=["data_archived_by", "data_archived_at", "archive_note"])
    audit.record(actor, "closeout.data_archived", closeout, "Recorded the data archive",
                 contract=closeout.contract, after={"note": closeout.archive_note})
    return closeout


# --- For pages ---------------------------------------------------------------------------


def choosing_refused(contract: Contract) -> str:
    """Why the COR cannot choose (or change) the scenario now, or "" when they can."""
    closeout = current_closeout(contract)
    if closeout is not None and closeout.status == Closeout.Status.CARRIED_OVER:
        return (f"Access carried over to the new contract record {closeout.successor} at the "
                "end of performance: the closeout scenario cannot be chosen or changed now.")
    if contract.stage == Stage.CLOSED or (
        closeout is not None and closeout.status in (Closeout.Status.ACCESS_REMOVED,
                                                     Closeout.Status.CARRIED_OVER)
    ):
        return ("Access was already removed at the end of performance: the closeout "
                "scenario cannot be chosen or changed now.")
    if closeout is None or contract.stage != Stage.CLOSING:
        return ("The closeout opens 60 days before the end of the period of performance, "
                "with the closeout notice.")
    return ""


def removal_done_by_carry_over(closeout: Closeout) -> bool:
    """The carry-over completed the "Contract removed from services" step itself."""
    return closeout.status == Closeout.Status.CARRIED_OVER and not closeout.contract.steps.filter(
        key=REMOVE_ACCESS_STEP, completed_at__isnull=True).exists()


def dua_services_of(contract: Contract) -> list:
    """The contract's services that need a Data Use Agreement (requested or approved)."""
    return [item.service for item in contract.services.filter(service__requires_dua=True)
            .exclude(status=ContractService.Status.DENIED).select_related("service")]


@dataclass
class DuaCoverage:
    """Whether the contract's DUAs cover its DUA services through a day, and when the DUA
    valid today expires (None: none is valid today, so that access is already paused)."""

    covered: bool
    current_number: str = ""
    current_expiry: datetime.date | None = None


def dua_coverage(contract: Contract, through: datetime.date) -> DuaCoverage:
    """Checks a COR's "the DUA is valid through the new end date" against the DUAs on
    record: every DUA service needs a DUA valid on that day (access.dua.valid_dua)."""
    from muster.access import dua

    needed = dua_services_of(contract)
    covered = all(dua.valid_dua(contract, through, service) is not None for service in needed)
    today = clock.today()
    current = [found for service in needed
               if (found := dua.valid_dua(contract, today, service)) is not None]
    # Access to a DUA service pauses when the first DUA it relies on expires.
    first = min(current, key=lambda d: d.expiry_date, default=None)
    if first is None or len(current) < len(needed):
        return DuaCoverage(covered)
    return DuaCoverage(covered, first.number, first.expiry_date)


@dataclass
class Person:
    """A new SO or SPOC named by the COR for a re-award."""

    full_name: str
    email: str
    harp_id: str


@dataclass
class NewDua:
    """A new or updated signed DUA given with a scenario."""

    number: str
    expiry_date: datetime.date
    document: object
    effective_date: datetime.date | None = None


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
    target = closeout.successor if scenario == Scenario.REAWARD_INCUMBENT else contract
    if scenario == Scenario.REAWARD_INCUMBENT:
        for person, role in ((new_so, ContractRole.Role.SO), (new_spoc, ContractRole.Role.SPOC)):
            if person is not None:
                contracts.assign_role(actor, target, _person(actor, person), role)
    if scenario == Scenario.REAWARD_INCUMBENT and closeout.successor is not None:
        _tell_successor_people(contract, closeout.successor, closeout.answers)
    if dua is not None:
        _store_dua(actor, target, dua, dua_services_of(contract))
    return closeout


def _tell_successor_people(contract: Contract, successor: Contract, answers: dict) -> None:
    """The SO and SPOC of the new record hear of it as soon as they are named: what it is,
    its dates, what they will need to do. Once per person and role on the record."""
    dua_needed = bool(dua_services_of(contract)) and not answers.get("dua_still_valid") \
        and not answers.get("new_dua_number")
    for role in successor.roles.filter(
        role__in=[ContractRole.Role.SO, ContractRole.Role.SPOC]
    ).select_related("user"):
        if not role.user.is_active:
            continue
        mail.queue(
            "successor_named", to=[role.user], contract=successor,
            key=f"successor-named:{successor.pk}:{role.role}:{role.user_id}",
            context={"predecessor": contract, "person": role.user, "moves_on": contract.pop_end,
                     "role_label": role.get_role_display(), "dua_needed": dua_needed,
                     "services": list(successor.services.select_related("service"))},
        )


def _person(actor, person: Person):
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
    """Through access.dua.upload_dua (which also resumes paused access), or, where the
    access app does not offer it, as a DataUseAgreement row."""
    from muster.access import dua as dua_module

    upload = getattr(dua_module, "upload_dua", None)
    if upload is not None:
        try:
            stored, _resumed = upload(
                actor, contract, number=new.number, effective_date=new.effective_date,
                expiry_date=new.expiry_date, document=new.document, services=services,
            )
        except dua_module.DuaError as error:
            raise CloseoutError(str(error)) from error
        return stored
    stored = DataUseAgreement(contract=contract, number=new.number,
                              effective_date=new.effective_date, expiry_date=new.expiry_date,
                              uploaded_by=actor, uploaded_at=clock.now())
    stored.document.save(f"{new.number}.pdf", new.document, save=False)
    stored.save()
    stored.services.set(services)
    audit.record(actor, "access.dua_uploaded", stored, f"Uploaded DUA {new.number}",
                 contract=contract, after={"number": new.number, "expiry_date": new.expiry_date})
    return stored


def new_contract_refused(closeout: Closeout) -> str:
    """Why the new contractor's contract cannot be started from this closeout, or ""."""
    if closeout.scenario != Scenario.OTHER_CONTRACTOR:
        return ("A new contractor's contract starts from the scenario “Awarded to another "
                "contractor”.")
    if closeout.successor_id is not None:
        return f"The new contractor's contract was already started: {closeout.successor}."
    return ""


NEW_CONTRACT_DONE_STEPS = ("notify-solicitation", "identify-requirements", "notify-award")


@dataclass
class NewContractPlan:
    """What start_new_contract will create, for the team to check before confirming."""

    cors: list
    services: list
    steps: list  # unsaved ContractSteps of the onboarding process, with due dates
    overlap_days: int  # days both contracts' periods of performance run together


def new_contract_plan(closeout: Closeout, *, award_date: datetime.date,
                      pop_start: datetime.date | None = None, **_typed) -> NewContractPlan:
    """The parties, services and onboarding timeline the new contract would get, computed
    as instantiate_timeline will (a read: nothing is saved)."""
    from muster.timeline.services import COPIED_FIELDS, default_template

    contract = closeout.contract
    template = default_template()
    anchors = {"estimated_award_date": award_date, "award_date": award_date,
               "pop_start": pop_start, "pop_end": None}
    steps = []
    for definition in template.steps.filter(process="onboarding") if template else []:
        step = ContractStep(**{f: getattr(definition, f) for f in COPIED_FIELDS})
        step.due_date = step.due_from(anchors.get(step.anchor))
        if step.key in NEW_CONTRACT_DONE_STEPS:
            step.completed_at = clock.now()
        step.current_state = step.state(clock.today())
        steps.append(step)
    overlap = 0
    if pop_start and contract.pop_end and pop_start <= contract.pop_end:
        overlap = (contract.pop_end - pop_start).days + 1
    return NewContractPlan(
        cors=_holders(contract, ContractRole.Role.COR),
        services=[item.service for item in contract.services.exclude(
            status=ContractService.Status.DENIED).select_related("service")],
        steps=steps, overlap_days=overlap,
    )


@transaction.atomic
def start_new_contract(actor, closeout: Closeout, *, name: str, contract_number: str,
                       award_date: datetime.date, task_order_number: str = "",
                       pop_start: datetime.date | None = None) -> Contract:
    """Scenario 2: start the new contractor's contract from this one. The solicitation is
    done (this contract's requirements carry over), the award is recorded; the new
    contractor follows the onboarding process on its own timeline."""
    closeout = Closeout.objects.select_for_update().select_related("contract").get(pk=closeout.pk)
    contract = closeout.contract
    if not permissions.can(actor, Action.CONFIRM_REMOVAL, contract):
        raise NotAllowed("The onboarding team starts the new contractor's contract.")
    if refusal := new_contract_refused(closeout):
        raise CloseoutError(refusal)
    try:
        new = contracts.create_contract(
            actor, name=name.strip() or contract.name, contract_number=contract_number,
            task_order_number=task_order_number, estimated_award_date=award_date,
            award_date=award_date, pop_start=pop_start,
            type_of_work=contract.type_of_work,
            requirements_summary=contract.requirements_summary,
        )
    except ValidationError as error:
        raise CloseoutError(" ".join(error.messages)) from error
    for item in contract.services.exclude(status=ContractService.Status.DENIED):
        ContractService.objects.create(
            contract=new, service=item.service, status=ContractService.Status.REQUESTED,
            estimated_users=item.estimated_users, justification=item.justification,
        )
    for role in contract.roles.filter(role=ContractRole.Role.COR).select_related("user"):
        contracts.assign_role(actor, new, role.user, role.role)
    new = contracts.change_stage(actor, new, Contract.award)
    from muster.onboarding.models import OnboardingRequest
    from muster.timeline.services import complete_step

    OnboardingRequest.objects.get_or_create(contract=new, defaults={"created_by": actor})
    done = f"Solicitation done: the contract follows {contract} (awarded to another contractor)."
    for step in new.steps.filter(key__in=NEW_CONTRACT_DONE_STEPS, completed_at__isnull=True):
        complete_step(actor, step, done)
    closeout.successor = new
    closeout.save(update_fields=["successor"])
    audit.record(actor, "closeout.new_contract_started", closeout,
                 f"Started the new contractor's contract {new}", contract=contract,
                 after={"successor": new.pk, "contract_number": new.contract_number})
    audit.record(actor, "closeout.follows", new, f"{new} follows {contract}",
                 contract=new, after={"predecessor": contract.pk})
    return new


# --- Re-award: the new record's start, and the team's undo -------------------------------


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


def _pause_until_pop_start(successor: Contract, grants: list, day: datetime.date) -> list:
    """A re-award whose new POP starts after a gap (the COR gave the reason): the access
    carried over today waits, paused, for the new POP; the sweep resumes it then."""
    if successor.pop_start is None or successor.pop_start <= day + datetime.timedelta(days=1):
        return []
    paused = []
    for grant in grants:
        if grant.status == GrantStatus.PAUSED:
            continue
        before = grant.status
        grant.pause()
        grant.pause_reason, grant.paused_at = PauseReason.WAITING_FOR_POP, clock.now()
        grant.save(update_fields=["status", "pause_reason", "paused_at", "updated_at"])
        audit.record(None, "access.grant_paused", grant,
                     f"Paused {grant.service} for {grant.user}: the period of performance of "
                     f"{successor} starts {successor.pop_start:%B} {successor.pop_start.day}, "
                     f"{successor.pop_start.year}", contract=successor,
                     before={"status": before},
                     after={"status": grant.status, "pause_reason": grant.pause_reason})
        paused.append(grant)
    return paused


def _resume_at_pop_start(contract: Contract, day: datetime.date) -> None:
    """The new POP began: access waiting for it resumes, except on a DUA service without a
    valid DUA, which stays paused for that reason until a DUA is uploaded."""
    from muster.access import dua

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


def undo_refused(closeout: Closeout | None, today: datetime.date) -> str:
    """Why the team cannot undo this closeout's re-award now, or "" when it can."""
    if closeout is None or closeout.scenario != Scenario.REAWARD_INCUMBENT \
            or closeout.successor_id is None:
        return "There is no re-award to undo: no new contract record was made."
    if closeout.status != Closeout.Status.SCENARIO_CHOSEN:
        return "Access was already carried over to the new record: the re-award stays."
    if closeout.contract.pop_end is None or today >= closeout.contract.pop_end:
        return ("A re-award is undone only before the end of performance, when access "
                "carries over to the new record.")
    return ""


@transaction.atomic
def undo_reaward(actor, closeout: Closeout, reason: str) -> Contract:
    """The onboarding team undoes a re-award chosen by mistake, before the carry-over: the
    new record is withdrawn (kept, never deleted: the record refers to it), its number
    freed, and the COR chooses a scenario again. Returns the withdrawn record."""
    closeout = Closeout.objects.select_for_update().select_related("contract").get(
        pk=closeout.pk)
    contract = Contract.objects.select_for_update().get(pk=closeout.contract_id)
    if not permissions.can(actor, Action.UNDO_REAWARD, contract):
        raise NotAllowed("The onboarding team undoes a re-award.")
    reason = checked_reason(reason, "the COR and the people named on both contracts read it.",
                            CloseoutError)
    refusal = undo_refused(closeout, clock.today())
    if refusal:
        raise CloseoutError(refusal)
    successor = Contract.objects.select_for_update().get(pk=closeout.successor_id)
    why = f"the re-award was undone by the onboarding team: {reason}"
    live = list(AccessGrant.objects.select_for_update().filter(contract=successor,
                                                               status__in=LIVE))
    _revoke(actor, successor, live, why)
    from muster.timeline.services import cancel_open_steps

    for process in set(successor.steps.values_list("process", flat=True)):
        cancel_open_steps(actor, successor, process, why)
    number = successor.contract_number
    # The number is the new contract's: free it for the COR's next answer.
    successor = contracts.update_contract(
        actor, successor, contract_number=f"WITHDRAWN-{successor.pk}-{number}"[:60])
    successor = contracts.change_stage(actor, successor, Contract.withdraw_reaward)
    parties = _holders(successor, ContractRole.Role.SO, ContractRole.Role.SPOC)
    before = {"scenario": closeout.scenario, "answers": closeout.answers,
              "successor": successor.pk}
    closeout.scenario, closeout.answers, closeout.successor = None, {}, None
    closeout.chosen_by, closeout.chosen_at = None, None
    closeout.status = Closeout.Status.NOTICE_SENT
    closeout.save()
    _reopen(actor, contract, [SCENARIO_STEP], why)
    after = {"reason": reason, "withdrawn": successor.pk, "contract_number": number}
    audit.record(actor, "closeout.reaward_undone", closeout,
                 f"Re-award undone: {successor.name} ({number}) withdrawn. {reason}",
                 contract=contract, before=before, after=after)
    audit.record(actor, "closeout.reaward_withdrawn", successor,
                 f"Withdrawn: the re-award of {contract} was undone. {reason}",
                 contract=successor, after={**after, "predecessor": contract.pk})
    mail.queue(
        "reaward_undone", to=_holders(contract, ContractRole.Role.COR) or _team(),
        cc=parties + _holders(contract, ContractRole.Role.SO, ContractRole.Role.SPOC)
        + _team(),
        contract=contract, key=f"reaward-undone:{successor.pk}",
        context={"actor": actor, "reason": reason, "withdrawn": successor, "number": number},
    )
    return successor


@dataclass
class ReawardPlan:
    """What saving a re-award will create (or change): shown to the COR to confirm."""

    updating: Contract | None
    name: str
    contract_number: str
    task_order_number: str
    award_date: datetime.date | None
    pop_start: datetime.date
    pop_end: datetime.date
    pop_start_reason: str
    organization: object
    parties: list[tuple[str, str]]
    services: list
    duas: list[str]
    access_moves_on: datetime.date | None


def reaward_plan(contract: Contract, closeout: Closeout | None, answers: dict, *,
                 dua: NewDua | None = None, new_so: Person | None = None,
                 new_spoc: Person | None = None) -> ReawardPlan:
    """Reads only: the record _successor would make from these answers."""
    people = []
    for role, new in ((ContractRole.Role.COR, None), (ContractRole.Role.POC, None),
                      (ContractRole.Role.SO, new_so), (ContractRole.Role.SPOC, new_spoc)):
        label = ContractRole.Role(role).label
        if new is not None:
            people.append((label, f"{new.full_name} ({new.email}, HARP ID {new.harp_id}) — new"))
            continue
        for holder in _holders(contract, role):
            people.append((label, f"{holder.full_name} ({holder.email})"))
    services = [item.service for item in contract.services.filter(
        status=ContractService.Status.APPROVED).select_related("service")]
    duas = []
    if dua_services_of(contract):
        if answers.get("dua_still_valid"):
            today = clock.today()
            duas = [f"DUA {d.number}, valid until {d.expiry_date:%B} {d.expiry_date.day}, "
                    f"{d.expiry_date.year} (kept from the current contract)"
                    for d in contract.duas.filter(invalidated_at__isnull=True,
                                                  expiry_date__gte=today)]
            duas = duas or ["None valid on record: access to the services that need a DUA "
                            "pauses when access moves, until a DUA's PDF is uploaded on the "
                            "new contract."]
        elif dua is not None:
            duas = [f"New DUA {dua.number}, valid until {dua.expiry_date:%B} "
                    f"{dua.expiry_date.day}, {dua.expiry_date.year}"]
        else:
            duas = ["None: access to the services that need a DUA pauses when access moves, "
                    "until the new DUA's PDF is uploaded on the new contract."]
    return ReawardPlan(
        updating=closeout.successor if closeout is not None else None,
        name=answers.get("new_name") or contract.name,
        contract_number=answers["new_contract_number"],
        task_order_number=answers.get("new_task_order_number", ""),
        award_date=answers.get("new_award_date"),
        pop_start=answers["new_pop_start"], pop_end=answers["new_pop_end"],
        pop_start_reason=answers.get("pop_start_reason", ""),
        organization=contract.organization, parties=people, services=services, duas=duas,
        access_moves_on=contract.pop_end,
    )
