"""Every write of a recertification campaign: opening it, the SO's decisions, and the daily
sweep's reminders and pauses. Each is one transaction with its audit records and emails
(queued once per key: the key carries the "once")."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Count

from muster import clock, workflow
from muster.access import emails as access_emails
from muster.access import grants as access
from muster.access.models import UNREVOKED, AccessGrant, GrantStatus, PauseReason
from muster.accounts import permissions
from muster.accounts.models import ContractRole
from muster.accounts.permissions import Action
from muster.audit import services as audit
from muster.contracts.models import Contract
from muster.errors import DomainError, NotAllowed
from muster.notifications import services as mail
from muster.timeline import calendar

from .models import Campaign, CampaignItem, Decision, Scope
from .queries import contracts_in_scope

# At most this many grants decided by one bulk form (a page of the SO's users is smaller).
BULK_MAX = 200
LIVE = (GrantStatus.REQUESTED, GrantStatus.ACTIVE)


class RecertificationError(DomainError):
    pass


def _so_and_cor(contract: Contract) -> tuple[list, list]:
    """The SO (to) and the COR (copied); active people only."""
    parties = workflow.RoleHolders(contract, ContractRole.Role.SO, ContractRole.Role.COR)
    so, cor = parties.people(ContractRole.Role.SO), parties.people(ContractRole.Role.COR)
    return [u for u in so if u.is_active], [u for u in cor if u.is_active]


# --- Opening ---------------------------------------------------------------------------


def check_due_date(due_date: datetime.date | None, today: datetime.date) -> None:
    if due_date is None:
        raise RecertificationError("Give the date the decisions are due.", "due_date")
    if due_date <= today:
        raise RecertificationError("The due date must be after today.", "due_date")
    if not calendar.is_business_day(due_date):
        raise RecertificationError(
            f"{due_date:%A %B %-d, %Y} is not a business day: choose a weekday that is "
            "not a federal holiday.", "due_date")


@transaction.atomic
def open_campaign(actor, *, name: str, due_date: datetime.date, scope: str,
                  contracts=()) -> Campaign:
    """Open a campaign over every active contract (scope ALL) or the chosen ones: one item
    per grant live on them now. Each contract's SO (the COR copied) is told once."""
    if not permissions.allows(actor, "recertification.run", None):
        raise NotAllowed("Only the onboarding team opens recertification campaigns.")
    today = clock.today()
    name = (name or "").strip()
    if not name:
        raise RecertificationError("Give the campaign a name.", "name")
    check_due_date(due_date, today)
    chosen = contracts_in_scope()
    if scope == Scope.CHOSEN:
        wanted = {c.pk for c in contracts}
        if not wanted:
            raise RecertificationError("Choose at least one contract.", "contracts")
        chosen = chosen.filter(pk__in=wanted)
        if chosen.count() != len(wanted):
            raise RecertificationError(
                "A chosen contract has no access to certify now (or is not running): "
                "choose again.", "contracts")
    grants = list(AccessGrant.objects.filter(contract__in=chosen, status__in=UNREVOKED)
                  .select_for_update(of=("self",)).order_by("pk"))
    if not grants:
        raise RecertificationError("No contract in scope has access to certify: nothing "
                                   "was opened.", "contracts" if scope == Scope.CHOSEN
                                   else None)
    campaign = Campaign.objects.create(name=name, due_date=due_date, scope=scope,
                                       opened_by=actor, opened_at=clock.now())
    CampaignItem.objects.bulk_create(
        [CampaignItem(campaign=campaign, contract_id=g.contract_id, grant=g) for g in grants])
    per_contract: dict[int, int] = defaultdict(int)
    for g in grants:
        per_contract[g.contract_id] += 1
    audit.record(actor, "recertification.opened", campaign,
                 f"Opened recertification campaign {name}, due {due_date:%B %-d, %Y}",
                 after={"name": name, "due_date": due_date, "scope": scope,
                        "contracts": sorted(per_contract), "items": len(grants)})
    for contract in Contract.objects.filter(pk__in=per_contract).order_by("pk"):
        to, cc = _so_and_cor(contract)
        mail.queue("recertification_opened", to=to, cc=cc, contract=contract,
                   key=f"recertification:{campaign.pk}:{contract.pk}:opened",
                   context={"campaign": campaign, "count": per_contract[contract.pk]})
    return campaign


# --- The SO's decisions ------------------------------------------------------------------


@dataclass
class Decided:
    decided: int = 0
    revoked: list = field(default_factory=list)
    resumed: list = field(default_factory=list)
    still_paused: list = field(default_factory=list)  # paused for another reason


@transaction.atomic
def decide(actor, campaign: Campaign, contract: Contract, item_ids, decision: str) -> Decided:
    """The SO's decision on some of the contract's items. "Remove" revokes the grant
    (through access, with its audit record and email); "still needed" records it, and
    resumes a grant the due date paused. A decision can change while the grant is not
    revoked."""
    workflow.require(actor, Action.CERTIFY_ACCESS, contract)
    if decision not in Decision.values:
        raise RecertificationError("Choose “Still needed” or “Remove”.", "decision")
    ids = sorted({int(i) for i in item_ids})
    if not ids:
        raise RecertificationError("Choose at least one grant.", "items")
    if len(ids) > BULK_MAX:
        raise RecertificationError(f"Decide at most {BULK_MAX} grants at a time.", "items")
    items = list(CampaignItem.objects.filter(campaign=campaign, contract=contract, pk__in=ids)
                 .select_for_update(of=("self",)).order_by("pk"))
    if len(items) != len(ids):
        raise RecertificationError("A chosen grant is not in this campaign for this "
                                   "contract: nothing was changed.", "items")
    locked = {g.pk: g for g in AccessGrant.objects.select_for_update(of=("self",))
              .filter(pk__in=[i.grant_id for i in items])
              .select_related("contract", "user", "service")}
    revoked = [locked[i.grant_id] for i in items if locked[i.grant_id].status ==
               GrantStatus.REVOKED]
    if revoked:
        names = ", ".join(f"{g.user.full_name} ({g.service.name})" for g in revoked)
        raise RecertificationError(f"Access already revoked cannot be certified again: "
                                   f"{names}. Nothing was changed.", "items")
    result = Decided()
    now = clock.now()
    word = Decision(decision).label.lower()
    for item in items:
        grant = locked[item.grant_id]
        before = item.decision
        if decision == Decision.REMOVE:
            access.revoke_held(actor, grant)
            result.revoked.append(grant)
        elif grant.status == GrantStatus.PAUSED:
            if grant.pause_reason == PauseReason.NOT_RECERTIFIED:
                access.resume_held(actor, grant, PauseReason.NOT_RECERTIFIED,
                                   f"certified in {campaign.name}")
                result.resumed.append(grant)
            else:
                result.still_paused.append(grant)
        item.decision, item.decided_by, item.decided_at = decision, actor, now
        item.save(update_fields=["decision", "decided_by", "decided_at"])
        audit.record(
            actor, "recertification.certified", item,
            f"Certified {grant.user.full_name}'s access to {grant.service.name}: {word}",
            contract=contract, before={"decision": before},
            after={"campaign": campaign.pk, "campaign_name": campaign.name,
                   "grant": grant.pk, "user": grant.user.email, "service": grant.service.slug,
                   "decision": decision})
        result.decided += 1
    if result.revoked:
        access_emails.access_changed(
            actor, contract, result.revoked,
            key=f"recertification:{campaign.pk}:removed:{result.revoked[0].pk}")
    if result.resumed:
        access_emails.access_changed(
            actor, contract, result.resumed,
            key=f"recertification:{campaign.pk}:resumed:{result.resumed[0].pk}:"
                f"{now.isoformat()}")
    return result


# --- The daily sweep --------------------------------------------------------------------


def _thresholds() -> list[int]:
    return sorted(set(settings.RECERTIFICATION_REMINDER_DAYS), reverse=True)


def send_reminders(day: datetime.date, since: datetime.date) -> int:
    """A reminder to the SO (the COR copied) of each contract with grants left to certify,
    RECERTIFICATION_REMINDER_DAYS days before the due date: once per campaign, contract and
    threshold; after missed days, only the most pressing threshold reached."""
    thresholds = _thresholds()
    if not thresholds:
        return 0
    horizon = day + datetime.timedelta(days=thresholds[0])
    waiting = (CampaignItem.objects
               .filter(campaign__due_date__gt=day, campaign__due_date__lte=horizon,
                       decision="", grant__status__in=UNREVOKED)
               .values("campaign", "contract").annotate(left=Count("pk"))
               .order_by("campaign", "contract"))
    rows = list(waiting)
    if not rows:
        return 0
    campaigns = Campaign.objects.in_bulk({r["campaign"] for r in rows})
    contracts = Contract.objects.in_bulk({r["contract"] for r in rows})
    parties = _sos_and_cors(contracts)
    emails = []
    for row in rows:
        campaign, contract = campaigns[row["campaign"]], contracts[row["contract"]]
        days_left = (campaign.due_date - day).days
        reached = [t for t in thresholds if days_left <= t]
        threshold = min(reached)  # the most pressing one reached (catch-up)
        to, cc = parties[contract.pk]
        emails.append({
            "to": to, "cc": cc, "contract": contract,
            "key": f"recertification:{campaign.pk}:{contract.pk}:reminder:{threshold}",
            "context": {"campaign": campaign, "left": row["left"], "days_left": days_left}})
    # All at once: a key already queued is skipped (the "once"), as queue() skips it.
    return len(mail.queue_many("recertification_reminder", emails))


def _sos_and_cors(contract_ids) -> dict[int, tuple[list, list]]:
    """_so_and_cor of many contracts, in one query."""
    holders: dict[int, list[ContractRole]] = {pk: [] for pk in contract_ids}
    for role in (ContractRole.objects.filter(contract__in=list(holders),
                                             role__in=[ContractRole.Role.SO,
                                                       ContractRole.Role.COR])
                 .select_related("user")):
        holders[role.contract_id].append(role)
    return {pk: ([h.user for h in rows if h.role == ContractRole.Role.SO and h.user.is_active],
                 [h.user for h in rows if h.role == ContractRole.Role.COR and h.user.is_active])
            for pk, rows in holders.items()}


def pause_uncertified(day: datetime.date, since: datetime.date) -> int:
    """On or after a campaign's due date: each grant still live (requested or active) whose
    item has no decision pauses (not revoked) with reason NOT_RECERTIFIED, and the SO and
    COR of its contract are told, once per campaign and contract. Returns how many paused.

    In batches of PAUSE_BATCH items, each one transaction (a long sweep holds no lock for
    long) reading and writing them all at once: the same changes, events and emails as one
    item at a time, in a few statements."""
    items = list(CampaignItem.objects
                 .filter(campaign__due_date__lte=day, decision="", grant__status__in=LIVE)
                 .order_by("campaign", "contract", "pk").values_list("pk", flat=True))
    pairs: set[tuple[int, int]] = set()
    paused = 0
    for start in range(0, len(items), PAUSE_BATCH):
        for pair in _pause_many(items[start:start + PAUSE_BATCH]):
            pairs.add(pair)
            paused += 1
    if pairs:
        _tell_paused(sorted(pairs))
    return paused


PAUSE_BATCH = 500


@transaction.atomic
def _pause_many(pks: list[int]) -> list[tuple[int, int]]:
    """Pause the live grant of each undecided item of `pks` (items, then grants, locked):
    (campaign, contract) of each item paused, in order."""
    items = list(CampaignItem.objects.select_for_update(of=("self",)).select_related("campaign")
                 .filter(pk__in=pks, decision="").order_by("campaign", "contract", "pk"))
    grants = (AccessGrant.objects.select_for_update(of=("self",))
              .select_related("contract", "user", "service")
              .in_bulk([item.grant_id for item in items]))
    now = clock.now()
    done = []  # (item, grant, status before)
    for item in items:
        grant = grants[item.grant_id]
        if grant.status not in LIVE:
            continue
        before = grant.status
        grant.pause()  # what access.pause_held does, for all of them at once
        grant.pause_reason, grant.paused_at, grant.updated_at = (
            PauseReason.NOT_RECERTIFIED, now, now)
        item.paused_at = now
        done.append((item, grant, before))
    if not done:
        return []
    AccessGrant.objects.filter(pk__in=[g.pk for _, g, _ in done]).update(
        status=GrantStatus.PAUSED, pause_reason=PauseReason.NOT_RECERTIFIED, paused_at=now,
        updated_at=now)
    CampaignItem.objects.filter(pk__in=[i.pk for i, _, _ in done]).update(paused_at=now)
    audit.record_many(None, None, [  # appended at once
        audit.entry("access.grant_paused", grant,
                    f"Paused {grant.service} for {grant.user.full_name}: not recertified by "
                    f"{item.campaign.due_date:%B %-d, %Y} ({item.campaign.name})",
                    contract=grant.contract, before={"status": before},
                    after={"status": grant.status, "pause_reason": grant.pause_reason})
        for item, grant, before in done
    ])
    return [(item.campaign_id, item.contract_id) for item, _, _ in done]


@transaction.atomic
def _tell_paused(pairs: list[tuple[int, int]]) -> None:
    """One email per campaign and contract whose grants the due date paused: the list of
    what is paused now (every pair's items, and their SOs and CORs, read at once)."""
    wanted = set(pairs)
    rows = (CampaignItem.objects
            .filter(campaign__in={c for c, _ in pairs}, contract__in={c for _, c in pairs},
                    decision="", paused_at__isnull=False,
                    grant__status=GrantStatus.PAUSED,
                    grant__pause_reason=PauseReason.NOT_RECERTIFIED)
            .select_related("campaign", "contract", "grant__user", "grant__service")
            .order_by("campaign", "contract", "grant__user__full_name", "grant__service__order"))
    items: dict[tuple[int, int], list[CampaignItem]] = defaultdict(list)
    for item in rows:
        if (item.campaign_id, item.contract_id) in wanted:
            items[(item.campaign_id, item.contract_id)].append(item)
    parties = _sos_and_cors({c for _, c in pairs})
    emails = []
    for pair in pairs:
        if not items[pair]:
            continue
        campaign, contract = items[pair][0].campaign, items[pair][0].contract
        emails.append({
            "to": [*parties[contract.pk][0], *parties[contract.pk][1]],
            "contract": contract, "key": f"recertification:{campaign.pk}:{contract.pk}:paused",
            "context": {"campaign": campaign, "grants": [i.grant for i in items[pair]]}})
    mail.queue_many("recertification_paused", emails)
