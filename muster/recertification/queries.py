"""Reads the recertification pages share: which contracts a campaign may cover, a
campaign's progress per contract (flat: a fixed number of queries however many contracts),
the SO's items, and what each SO has left to certify (their panels)."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from muster.access.models import UNREVOKED, AccessGrant, GrantStatus, PauseReason
from muster.accounts.models import ContractRole
from muster.compiled import Compiled
from muster.contracts.models import Contract, Stage

from .models import Campaign, CampaignItem, Decision

# A running contract: its grants are what a campaign certifies ("every active contract").
IN_SCOPE_STAGES = (Stage.ONBOARDING, Stage.ACTIVE, Stage.CLOSING)

UNDECIDED = Q(decision="")
WAITING = UNDECIDED & Q(grant__status__in=UNREVOKED)
PAUSED_HERE = UNDECIDED & Q(grant__status=GrantStatus.PAUSED,
                            grant__pause_reason=PauseReason.NOT_RECERTIFIED)


def contracts_in_scope() -> QuerySet[Contract]:
    """Running contracts with at least one live grant (requested, active or paused)."""
    live = AccessGrant.objects.filter(contract=OuterRef("pk"), status__in=UNREVOKED)
    return Contract.objects.filter(Exists(live), stage__in=IN_SCOPE_STAGES).order_by("name")


def _counts(prefix: str = "") -> dict:
    p = prefix
    return {
        "total": Count(f"{p}pk"),
        "certified": Count(f"{p}pk", filter=Q(**{f"{p}decision": Decision.KEEP})),
        "removed": Count(f"{p}pk", filter=Q(**{f"{p}decision": Decision.REMOVE})),
        "waiting": Count(f"{p}pk", filter=Q(**{f"{p}decision": "",
                                               f"{p}grant__status__in": UNREVOKED})),
        "paused": Count(f"{p}pk", filter=Q(**{
            f"{p}decision": "", f"{p}grant__status": GrantStatus.PAUSED,
            f"{p}grant__pause_reason": PauseReason.NOT_RECERTIFIED})),
    }


def campaigns() -> QuerySet[Campaign]:
    """Every campaign with its totals (one query)."""
    return Campaign.objects.select_related("opened_by").annotate(
        contracts=Count("items__contract", distinct=True), **_counts("items__"))


@dataclass
class ContractProgress:
    contract: Contract
    total: int
    certified: int
    removed: int
    waiting: int
    paused: int

    @property
    def decided(self) -> int:
        return self.certified + self.removed


def progress(campaign: Campaign) -> list[ContractProgress]:
    """Each contract of the campaign with its counts: two queries."""
    counted: Any = (CampaignItem.objects.filter(campaign=campaign).values("contract")
                    .annotate(**_counts()).order_by("contract"))
    rows: list[dict[str, Any]] = list(counted)
    contracts = Contract.objects.in_bulk([r["contract"] for r in rows])
    result = [ContractProgress(contracts[r["contract"]], r["total"], r["certified"],
                               r["removed"], r["waiting"], r["paused"]) for r in rows]
    return sorted(result, key=lambda p: (p.contract.name.lower(), p.contract.pk))


def items_of(campaign: Campaign, contract: Contract | None = None) -> QuerySet[CampaignItem]:
    items = CampaignItem.objects.filter(campaign=campaign)
    if contract is not None:
        items = items.filter(contract=contract)
    return items.select_related("contract", "grant__user", "grant__service", "decided_by")


def campaign_of_contract(campaign_pk: int, contract: Contract) -> Campaign | None:
    """The campaign, when it covers the contract."""
    return Campaign.objects.filter(pk=campaign_pk, items__contract=contract).distinct().first()


@dataclass
class ToCertify:
    campaign_id: int
    campaign_name: str
    due_date: object
    contract_id: int
    contract_name: str
    total: int
    waiting: int


def _to_certify(user_id: int, contract_id: int | None = None) -> QuerySet:
    as_so = ContractRole.objects.filter(contract=OuterRef("contract"), user_id=user_id,
                                        role=ContractRole.Role.SO)
    items = CampaignItem.objects.filter(Exists(as_so))
    if contract_id is not None:
        items = items.filter(contract_id=contract_id)
    return (items.values("campaign", "campaign__name", "campaign__due_date", "contract",
                         "contract__name")
            .annotate(total=Count("pk"), waiting=Count("pk", filter=WAITING))
            .filter(waiting__gt=0).order_by("campaign__due_date", "campaign", "contract__name")
            .values_list("campaign", "campaign__name", "campaign__due_date", "contract",
                         "contract__name", "total", "waiting"))


# Every home page asks it (and an SO's contract page): built once (muster/compiled.py).
_TO_CERTIFY = Compiled(_to_certify, user_id=int)
_TO_CERTIFY_ON = Compiled(_to_certify, user_id=int, contract_id=int)


def to_certify(user, contract: Contract | None = None) -> list[ToCertify]:
    """What the person, as SO, has left to certify: per campaign and contract with grants
    waiting (one query)."""
    if not user.is_authenticated:
        return []
    rows = (_TO_CERTIFY.rows(user_id=user.pk) if contract is None
            else _TO_CERTIFY_ON.rows(user_id=user.pk, contract_id=contract.pk))
    return [ToCertify(*row) for row in rows]
