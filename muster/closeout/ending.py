"""The contract's end: on its last day of performance every live grant is revoked, or, for a
re-award to the incumbent, carried over to the new record; then the contract closes."""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django_fsm import can_proceed

from muster import clock, workflow
from muster.access import dua
from muster.access.models import UNREVOKED, AccessGrant, GrantStatus, PauseReason
from muster.accounts.models import ContractRole
from muster.audit import services as audit
from muster.contracts import services as contracts
from muster.contracts.models import Contract, ContractService, Stage
from muster.contracts.services import change_stage_many
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
    incumbent, carried over to the new contract) and the contract closes.

    In batches of BATCH contracts, each one transaction that reads and writes what every
    contract of the batch needs at once (not ~36 statements per contract): the same
    changes, audit events and emails as end_contract makes for each."""
    report = EndReport()
    due = list(Contract.objects.filter(stage__in=ENDABLE, pop_end__lte=day)
               .order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(due), BATCH):
        for revoked, carried in _end_batch(due[start:start + BATCH], day):
            report.contracts += 1
            report.revoked += revoked
            report.carried_over += carried
    return report


BATCH = 100  # contracts ended in one transaction (a day after a long gap holds more)


@transaction.atomic
def _end_batch(pks: list[int], day: datetime.date) -> list[tuple[int, int]]:
    """End the contracts `pks` still due (under their locks): (revoked, carried over) for
    each one ended. A re-award to the incumbent, or a closeout that cannot remove access,
    goes through end_contract, one by one (rare: it carries access over, or refuses)."""
    contracts = [c for c in Contract.objects.select_for_update().filter(pk__in=pks).order_by("pk")
                 if c.stage in ENDABLE and c.pop_end is not None and c.pop_end <= day]
    if not contracts:
        return []
    found = {(c.contract_id, c.pop_end): c for c in Closeout.objects.select_for_update()
             .filter(contract__in=contracts)}
    plain, one_by_one = [], []
    for contract in contracts:
        closeout = found.get((contract.pk, _end_of(contract)))
        if closeout is not None and (
            (closeout.scenario == Scenario.REAWARD_INCUMBENT and closeout.successor_id)
            or not can_proceed(closeout.remove_access)
        ):
            one_by_one.append(contract.pk)
        else:
            plain.append((contract, closeout))
    ended = [(len(grants), 0) for grants in _end_plainly(plain, day)] if plain else []
    for pk in one_by_one:
        revoked, carried = end_contract(None, pk, day)
        if revoked is not None:
            ended.append((revoked, carried))
    return ended


def _end_plainly(plain: list[tuple[Contract, Closeout | None]],
                 day: datetime.date) -> list[list[AccessGrant]]:
    """end_contract without a successor, for many (locked) contracts at once: their grants
    revoked, their closeouts (made when missing) at access removed, the contracts closed,
    each contract's events in end_contract's order, and its email. The grants revoked of
    each contract, in `plain`'s order."""
    now = clock.now()
    missing = [Closeout(contract=c, pop_end=_end_of(c), notice_sent_at=now)
               for c, closeout in plain if closeout is None]
    Closeout.objects.bulk_create(missing)
    made = iter(missing)
    closeouts = [closeout or next(made) for _, closeout in plain]
    contracts = [c for c, _ in plain]
    grants: dict[int, list[AccessGrant]] = {c.pk: [] for c in contracts}
    for grant in (AccessGrant.objects.select_for_update(of=("self",))
                  .filter(contract__in=contracts, status__in=GRANTS_THE_END_REMOVES)
                  .select_related("user", "service")):
        grants[grant.contract_id].append(grant)
    revoked = [g for c in contracts for g in grants[c.pk]]
    grant_before = {g.pk: g.status for g in revoked}
    for grant in revoked:
        grant.revoke()
        grant.revoked_at = grant.updated_at = now
    AccessGrant.objects.filter(pk__in=list(grant_before)).update(
        status=GrantStatus.REVOKED, revoked_at=now, updated_at=now)
    closeout_before = [closeout.status for closeout in closeouts]
    for contract, closeout in zip(contracts, closeouts, strict=True):
        closeout.contract = contract
        closeout.remove_access(day)
    Closeout.objects.filter(pk__in=[c.pk for c in closeouts]).update(
        status=Closeout.Status.ACCESS_REMOVED, access_removed_on=day)
    stage_before = change_stage_many(contracts, Contract.close, now)
    events = []  # appended at once, each contract's in end_contract's order
    for contract, closeout, closeout_was, stage_was in zip(
            contracts, closeouts, closeout_before, stage_before, strict=True):
        mine = grants[contract.pk]
        events += [
            audit.entry("access.revoked", grant,
                        f"Revoked {grant.user}'s {grant.service} access: end of performance",
                        contract=contract, before={"status": grant_before[grant.pk]},
                        after={"status": grant.status})
            for grant in mine
        ]
        events.append(audit.entry(
            "closeout.access_removed", closeout,
            f"Access removed at the end of performance: {len(mine)} grant(s) revoked",
            contract=contract, before={"status": closeout_was},
            after={"status": closeout.status, "access_removed_on": day, "revoked": len(mine)}))
        events.append(audit.entry("contract.close", contract,
                                  f"Stage changed from {stage_was} to {contract.stage}",
                                  contract=contract, before={"stage": stage_was},
                                  after={"stage": contract.stage}))
    audit.record_many(None, None, events)
    _email_access_removed(contracts, closeouts, grants)
    return [grants[c.pk] for c in contracts]


def _end_of(contract: Contract) -> datetime.date:
    """The end of performance of a contract known to have one."""
    assert contract.pop_end is not None, "only contracts with an end date end"
    return contract.pop_end


def _email_access_removed(contracts: list[Contract], closeouts: list[Closeout],
                          grants: dict[int, list[AccessGrant]]) -> None:
    """end_contract's email for each contract, queued together (their people in one query)."""
    holders: dict[int, list[ContractRole]] = {c.pk: [] for c in contracts}
    for role in (ContractRole.objects.filter(contract__in=contracts, role__in=[SO, COR, SPOC])
                 .select_related("user")):
        holders[role.contract_id].append(role)
    team = workflow.team_emails()

    def people(contract, *roles):
        return [h.user for h in holders[contract.pk] if h.role in roles]

    mail.queue_many("access_removed", [
        # The SO, or the COR when the contract never named one: someone must hear of it.
        {"to": people(contract, SO) or people(contract, COR),
         "cc": people(contract, COR, SPOC) + team, "contract": contract,
         "key": f"access_removed:{contract.pk}:{closeout.pop_end.isoformat()}",
         "context": {"closeout": closeout, "grants": grants[contract.pk]}}
        for contract, closeout in zip(contracts, closeouts, strict=True)
    ])


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
