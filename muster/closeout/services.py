"""Closeout actions: open the cycle (the 60-day notice), record the COR's scenario, end
the contract's access on its last day, confirm removal and the data archive."""

import datetime
from dataclasses import dataclass

from django.db import transaction

from muster import clock
from muster.access.models import AccessGrant, GrantStatus
from muster.accounts import permissions
from muster.accounts.models import ContractRole, TeamRole
from muster.accounts.permissions import Action
from muster.audit import services as audit
from muster.contracts import services as contracts
from muster.contracts.models import Contract, ContractService, Stage
from muster.notifications import services as mail
from muster.timeline.models import ContractStep

from .models import Closeout, Scenario

LIVE = [GrantStatus.REQUESTED, GrantStatus.ACTIVE, GrantStatus.PAUSED]
# Stages in which a contract still holds access that its end must remove.
ENDABLE = [Stage.AWARDED, Stage.ONBOARDING, Stage.ACTIVE, Stage.CLOSING]


class CloseoutError(Exception):
    """Not allowed now; the message says why."""


class NotAllowed(CloseoutError):
    pass


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
        contract=contract, pop_end=contract.pop_end
    )
    if not created:
        return False
    contracts.change_stage(actor, contract, "begin_closeout")
    audit.record(actor, "closeout.notice_sent", closeout,
                 f"Closeout notice: the period of performance ends {contract.pop_end:%B %-d, %Y}",
                 contract=contract, after={"pop_end": contract.pop_end})
    mail.queue(
        "closeout_notice", to=_holders(contract, ContractRole.Role.COR), cc=_team(),
        contract=contract, key=f"closeout-notice:{contract.pk}:{contract.pop_end.isoformat()}",
        context={"closeout": closeout},
    )
    return True


def _reopen(contract: Contract, keys: list[str]) -> None:
    ContractStep.objects.filter(contract=contract, key__in=keys).update(
        completed_at=None, completed_by=None, completion_note=""
    )


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
    before = {"scenario": closeout.scenario, "answers": closeout.answers}
    closeout.scenario, closeout.answers = scenario, _json(answers)
    closeout.chosen_by, closeout.chosen_at = actor, clock.now()
    closeout.status = Closeout.Status.SCENARIO_CHOSEN
    closeout.save()
    label = Scenario(scenario).label
    audit.record(actor, "closeout.scenario_chosen", closeout, f"Closeout scenario: {label}",
                 contract=contract, before=before,
                 after={"scenario": scenario, "answers": closeout.answers})
    step = contract.steps.filter(key="closeout-notice", completed_at__isnull=True).first()
    if step is not None:
        from muster.timeline.services import complete_step

        complete_step(actor, step, f"Scenario chosen: {label}.")
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
        return contracts.update_contract(actor, existing, **fields)
    successor = contracts.create_contract(
        actor, organization=contract.organization, type_of_work=contract.type_of_work,
        estimated_award_date=contract.pop_end, award_date=contract.pop_end,
        requirements_summary=contract.requirements_summary, **fields,
    )
    for role in contract.roles.exclude(role=ContractRole.Role.CONTRACTOR_USER):
        contracts.assign_role(actor, successor, role.user, role.role, eua_check=role.eua_check)
    for item in contract.services.filter(status=ContractService.Status.APPROVED):
        ContractService.objects.create(
            contract=successor, service=item.service, status=item.status,
            estimated_users=item.estimated_users, justification=item.justification,
            decided_at=item.decided_at, decided_by=item.decided_by,
            decision_reason="Carried over from the incumbent's previous contract.",
        )
    # Already onboarded: it starts active, its onboarding steps done by the carry-over.
    for name in ("award", "start_onboarding", "activate"):
        successor = contracts.change_stage(actor, successor, name)
    successor.steps.filter(process="onboarding").update(
        completed_at=clock.now(), completed_by=actor,
        completion_note=f"Re-award to the incumbent of {contract}: onboarding carried over.",
    )
    return successor


def _json(answers: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, datetime.date) else v)
            for k, v in answers.items() if not hasattr(v, "read")}


def _extend(actor, contract: Contract, closeout: Closeout, new_pop_end: datetime.date) -> None:
    """The POP is extended: new dates, due steps recomputed, the closeout clock restarts."""
    contracts.update_contract(actor, contract, pop_end=new_pop_end)
    _reopen(contract, ["closeout-notice", "remove-access"])
    from muster.timeline.services import recompute_due_dates

    recompute_due_dates(contract)
    contracts.change_stage(actor, contract, "extend")
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
    closeout, _ = Closeout.objects.get_or_create(contract=contract, pop_end=contract.pop_end)
    grants = list(AccessGrant.objects.select_for_update().filter(
        contract=contract, status__in=LIVE).select_related("user", "service"))
    successor = closeout.successor if closeout.scenario == Scenario.REAWARD_INCUMBENT else None
    if successor is not None:
        carried = _carry_over(contract, successor, grants)
        closeout.status = Closeout.Status.CARRIED_OVER
        revoked = 0
    else:
        for grant in grants:
            before = grant.status
            grant.revoke()
            grant.revoked_at = clock.now()
            grant.save()
            audit.record(actor, "access.revoked", grant,
                         f"Revoked {grant.user}'s {grant.service} access: end of performance",
                         contract=contract, before={"status": before},
                         after={"status": grant.status})
        revoked, carried = len(grants), 0
        closeout.status = Closeout.Status.ACCESS_REMOVED
    closeout.access_removed_on = day
    closeout.save(update_fields=["status", "access_removed_on"])
    contracts.change_stage(actor, contract, "close")
    template = "access_carried_over" if successor else "access_removed"
    mail.queue(
        template, to=_holders(contract, ContractRole.Role.SO),
        cc=_holders(contract, ContractRole.Role.COR, ContractRole.Role.SPOC) + _team(),
        contract=contract, key=f"{template}:{contract.pk}:{contract.pop_end.isoformat()}",
        context={"closeout": closeout, "grants": grants, "successor": successor},
    )
    return revoked, carried


def _carry_over(contract: Contract, successor: Contract, grants: list) -> int:
    """Re-award to the incumbent: the roster and live grants move to the new record."""
    for role in contract.roles.filter(role=ContractRole.Role.CONTRACTOR_USER):
        ContractRole.objects.get_or_create(contract=successor, user=role.user, role=role.role)
    approved = set(successor.services.filter(status=ContractService.Status.APPROVED)
                   .values_list("service_id", flat=True))
    moved = 0
    for grant in grants:
        if grant.service_id not in approved:
            continue
        grant.contract = successor
        grant.save(update_fields=["contract", "updated_at"])
        audit.record(None, "access.carried_over", grant,
                     f"{grant.user}'s {grant.service} access carried over to {successor}",
                     contract=successor, before={"contract": contract.pk},
                     after={"contract": successor.pk})
        moved += 1
    return moved


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
    closeout.removal_confirmed_by, closeout.removal_confirmed_at = actor, clock.now()
    closeout.save(update_fields=["removal_confirmed_by", "removal_confirmed_at"])
    step = contract.steps.filter(key="remove-access", completed_at__isnull=True).first()
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
    if not note.strip():
        raise CloseoutError("Say what was archived and where.")
    closeout.data_archived_by, closeout.data_archived_at = actor, clock.now()
    closeout.archive_note = note.strip()
    closeout.save(update_fields=["data_archived_by", "data_archived_at", "archive_note"])
    audit.record(actor, "closeout.data_archived", closeout, "Recorded the data archive",
                 contract=closeout.contract, after={"note": closeout.archive_note})
    return closeout
