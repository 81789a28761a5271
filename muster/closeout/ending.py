"""The contract's end: on its last day of performance every live grant is revoked, or, for a
re-award to the incumbent, carried over to the new record; then the contract closes."""

import datetime
from dataclasses import dataclass

from django.db import transaction

from muster import clock, workflow
from muster.access import dua
from muster.access.models import UNREVOKED, AccessGrant, GrantStatus, PauseReason
from muster.accounts.models import ContractRole
from muster.audit import services as audit
from muster.contracts import services as contracts
from muster.contracts.models import Contract, ContractService, Stage
from muster.notifications import services as mail

from .models import Closeout, Scenario
from .rules import CloseoutError
from .steps import REMOVE_ACCESS_STEP, complete_open

# The grants the contract's end removes (or carries over): every one not yet revoked.
GRANTS_THE_END_REMOVES = UNREVOKED
# Stages in which a contract still holds access that its end must remove.
ENDABLE = [Stage.AWARDED, Stage.ONBOARDING, Stage.ACTIVE, Stage.CLOSING]
COR, SO, SPOC = ContractRole.Role.COR, ContractRole.Role.SO, ContractRole.Role.SPOC
ALREADY_ENDED = "This closeout's access was already removed."


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
    pop_end = contract.pop_end
    closeout, _ = Closeout.objects.get_or_create(
        contract=contract, pop_end=pop_end, defaults={"notice_sent_at": clock.now()}
    )
    closeout = workflow.locked(closeout, related=["contract"])
    grants = list(AccessGrant.objects.select_for_update().filter(
        contract=contract, status__in=GRANTS_THE_END_REMOVES).select_related("user", "service"))
    successor = closeout.successor if closeout.scenario == Scenario.REAWARD_INCUMBENT else None
    if successor is not None:
        moved, left = _carry_over(contract, successor, grants)
        paused = pause_without_dua(successor, moved, day, predecessor=contract)
        paused += _pause_until_pop_start(successor, moved, day)
        revoke(actor, contract, left, "not approved on the new contract")
        _record_carry_over(closeout, successor, day, moved, left, paused)
        contracts.change_stage(actor, contract, Contract.close)
        _email_carry_over(contract, successor, closeout, moved)
        return len(left), len(moved)
    revoke(actor, contract, grants, "end of performance")
    workflow.transition(
        actor, closeout, closeout.remove_access,
        f"Access removed at the end of performance: {len(grants)} grant(s) revoked",
        event="closeout.access_removed", contract=contract, refused=CloseoutError(ALREADY_ENDED),
        args=[day], after={"access_removed_on": day, "revoked": len(grants)})
    contracts.change_stage(actor, contract, Contract.close)
    parties = workflow.RoleHolders(contract, SO, COR, SPOC)
    mail.queue(
        # The SO, or the COR when the contract never named one: someone must hear of it.
        "access_removed", to=parties.people(SO) or parties.people(COR),
        cc=parties.people(COR, SPOC) + workflow.team_emails(),
        contract=contract, key=f"access_removed:{contract.pk}:{pop_end.isoformat()}",
        context={"closeout": closeout, "grants": grants},
    )
    return len(grants), 0


def revoke(actor, contract: Contract, grants: list[AccessGrant], why: str) -> None:
    for grant in grants:
        before = grant.status
        grant.revoke()
        grant.revoked_at = clock.now()
        grant.save()
        audit.record(actor, "access.revoked", grant,
                     f"Revoked {grant.user}'s {grant.service} access: {why}",
                     contract=contract, before={"status": before},
                     after={"status": grant.status})


def _carry_over(contract: Contract, successor: Contract,
                grants: list[AccessGrant]) -> tuple[list[AccessGrant], list[AccessGrant]]:
    """Re-award to the incumbent: the roster and live grants move to the new record.
    Returns the grants moved and those left behind (their service is not approved on the
    new record: the caller revokes them, a closed contract keeps no live access)."""
    for role in contract.roles.filter(role=ContractRole.Role.CONTRACTOR_USER):
        ContractRole.objects.get_or_create(contract=successor, user=role.user, role=role.role)
    approved = set(successor.services.filter(status=ContractService.Status.APPROVED)
                   .values_list("service_id", flat=True))
    held = set(AccessGrant.objects.filter(contract=successor, status__in=GRANTS_THE_END_REMOVES)
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


def _pause(grant: AccessGrant, reason: str, summary: str, contract: Contract,
           after: dict | None = None) -> None:
    """Pause a live grant for `reason`, on `contract`'s audit record."""
    before = grant.status
    grant.pause()
    grant.pause_reason, grant.paused_at = reason, clock.now()
    grant.save(update_fields=["status", "pause_reason", "paused_at", "updated_at"])
    audit.record(None, "access.grant_paused", grant, summary, contract=contract,
                 before={"status": before},
                 after={"status": grant.status, "pause_reason": grant.pause_reason,
                        **(after or {})})


def pause_without_dua(successor: Contract, grants: list[AccessGrant], day: datetime.date,
                      predecessor: Contract | None = None) -> list[AccessGrant]:
    """Re-award with a DUA that is no longer valid: access to DUA services on the new
    record pauses (reason: DUA lapsed) until a valid DUA is uploaded there, which resumes
    exactly these grants (access.dua.upload_dua)."""
    paused = []
    for grant in grants:
        if not grant.service.requires_dua or grant.status == GrantStatus.PAUSED:
            continue
        if dua.valid_dua(successor, day, grant.service) is not None:
            continue
        _pause(grant, PauseReason.DUA_LAPSED,
               f"Paused {grant.service} for {grant.user}: the re-awarded contract has no "
               "valid Data Use Agreement yet", successor,
               {"predecessor": predecessor.pk} if predecessor else None)
        if predecessor is not None:
            audit.record(None, "access.grant_paused", grant,
                         f"Paused {grant.service} for {grant.user} on {successor}: it has "
                         "no valid Data Use Agreement yet", contract=predecessor,
                         after={"successor": successor.pk, "status": grant.status,
                                "pause_reason": grant.pause_reason})
        paused.append(grant)
    return paused


def _pause_until_pop_start(successor: Contract, grants: list[AccessGrant],
                           day: datetime.date) -> list[AccessGrant]:
    """A re-award whose new POP starts after a gap (the COR gave the reason): the access
    carried over today waits, paused, for the new POP; the sweep resumes it then."""
    start = successor.pop_start
    if start is None or start <= day + datetime.timedelta(days=1):
        return []
    paused = []
    for grant in grants:
        if grant.status == GrantStatus.PAUSED:
            continue
        _pause(grant, PauseReason.WAITING_FOR_POP,
               f"Paused {grant.service} for {grant.user}: the period of performance of "
               f"{successor} starts {start:%B} {start.day}, {start.year}", successor)
        paused.append(grant)
    return paused


def _record_carry_over(closeout: Closeout, successor: Contract, day: datetime.date,
                       moved: list[AccessGrant], left: list[AccessGrant],
                       paused: list[AccessGrant]) -> None:
    """The carry-over told on both records, each naming the other; and the old record's
    "Contract removed from services" step done with that evidence (nothing is left for
    the team to remove there)."""
    contract = closeout.contract
    evidence = (f"Access carried over to {successor} on {day:%B %-d, %Y}: "
                f"{len(moved)} grant(s) moved")
    if paused:
        evidence += f", {len(paused)} paused there until a valid DUA is uploaded"
    if left:
        evidence += f", {len(left)} revoked (not approved on the new contract)"
    evidence += "."
    grants = [f"{g.user}: {g.service}" for g in moved]
    workflow.transition(
        None, closeout, closeout.carry_over, evidence, event="closeout.access_carried_over",
        contract=contract, refused=CloseoutError(ALREADY_ENDED), args=[day],
        after={"successor": successor.pk, "grants": grants,
               "paused": [f"{g.user}: {g.service}" for g in paused]})
    audit.record(None, "closeout.access_carried_in", contract,
                 f"Access of {contract} carried over to this contract: {len(moved)} grant(s)",
                 contract=successor, after={"predecessor": contract.pk, "grants": grants})
    complete_open(None, contract, REMOVE_ACCESS_STEP, evidence)


def _email_carry_over(contract: Contract, successor: Contract, closeout: Closeout,
                      moved: list[AccessGrant]) -> None:
    """The people of the new record hear what concerns it (the access they now hold, what
    paused, the DUA to upload); those of the old record who are not on the new one hear
    that its access ended there. Every link opens for every recipient."""
    # Paused now, or already paused on the old record when its DUA lapsed: both wait for
    # a valid DUA on the new record.
    paused = [g for g in moved if g.status == GrantStatus.PAUSED
              and g.pause_reason == PauseReason.DUA_LAPSED]
    # A new POP that starts after a gap: the access waits for it (the sweep resumes it).
    waiting = [g for g in moved if g.status == GrantStatus.PAUSED
               and g.pause_reason == PauseReason.WAITING_FOR_POP]
    mail.queue(
        "access_carried_in", to=workflow.people_with_roles(successor, SO)
        or workflow.people_with_roles(successor, COR),
        cc=workflow.people_with_roles(successor, COR, SPOC) + workflow.team_emails(),
        contract=successor, key=f"access_carried_in:{successor.pk}:{closeout.pk}",
        context={"predecessor": contract, "closeout": closeout, "grants": moved,
                 "paused": paused, "waiting": waiting},
    )
    on_successor = set(successor.roles.values_list("user_id", flat=True))
    left_behind = [u for u in workflow.people_with_roles(contract, SO, SPOC)
                   if u.pk not in on_successor]
    mail.queue(
        "access_carried_over", to=left_behind, contract=contract,
        key=f"access_carried_over:{contract.pk}:{closeout.pop_end.isoformat()}",
        context={"closeout": closeout, "grants": moved, "successor": successor},
    )
