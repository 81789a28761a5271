"""Who may do what: the one place that decides.

A person's roles on a contract come from their contract roles (COR, POC, SO, SPOC,
contractor user) and their team roles (onboarding team, team lead, administrator, and
service lead for the contract's services). Each action names the roles that may take it.
Views ask `contract_for(user, pk, action)`: a contract the person cannot see is a 404
(nothing says it exists); one they can see but not act on is a 403.
"""

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from muster.compiled import Compiled
from muster.contracts.models import Contract, ContractService

from .models import ContractRole, TeamRole

R = ContractRole.Role
T = TeamRole.Role

COR, POC, SO, SPOC, CONTRACTOR_USER = R.COR, R.POC, R.SO, R.SPOC, R.CONTRACTOR_USER
ONBOARDING_TEAM, TEAM_LEAD, SERVICE_LEAD, ADMINISTRATOR = (
    T.ONBOARDING_TEAM, T.TEAM_LEAD, T.SERVICE_LEAD, T.ADMINISTRATOR,
)
CONTRACT_PARTIES = frozenset({COR, POC, SO, SPOC})
# Team roles that see every contract.
WHOLE_TEAM = frozenset({ONBOARDING_TEAM, TEAM_LEAD, ADMINISTRATOR})


class Action(StrEnum):
    VIEW_CONTRACT = "contract.view"
    EDIT_CONTRACT = "contract.edit"
    VIEW_HISTORY = "contract.view_history"
    COMPLETE_STEP = "timeline.complete_step"
    NOTIFY_AWARD = "onboarding.notify_award"
    EDIT_INTAKE = "onboarding.edit_intake"
    SUBMIT_INTAKE = "onboarding.submit_intake"
    ANSWER_QUESTION = "onboarding.answer_question"
    REVIEW_INTAKE = "onboarding.review"
    APPROVE_AS_LEAD = "onboarding.approve_as_lead"
    WITHDRAW_REQUEST = "requests.withdraw"
    CANCEL_REQUEST = "requests.cancel"
    REOPEN_REQUEST = "requests.reopen"
    RECORD_MEETING = "onboarding.record_meeting"
    DECIDE_SERVICE = "onboarding.decide_service"
    SEND_WELCOME = "onboarding.send_welcome"
    VIEW_WELCOME = "onboarding.view_welcome"
    RECORD_CALL = "onboarding.record_call"
    ANSWER_SURVEY = "onboarding.answer_survey"
    VIEW_SURVEY = "onboarding.view_survey"
    VIEW_ROSTER = "access.view_roster"
    MANAGE_ROSTER = "access.manage_roster"
    CONFIRM_ACCESS = "access.confirm"
    RECORD_EUA_CHECK = "access.record_eua_check"
    UPLOAD_DUA = "access.upload_dua"
    INVALIDATE_DUA = "access.invalidate_dua"
    REQUEST_SERVICE = "access.request_service"
    APPROVE_REQUEST_AS_COR = "access.approve_request_as_cor"
    CHOOSE_SCENARIO = "closeout.choose_scenario"
    CONFIRM_REMOVAL = "closeout.confirm_removal"
    UNDO_REAWARD = "closeout.undo_reaward"
    CERTIFY_ACCESS = "recertification.certify"
    EXPORT_EVIDENCE = "evidence.export"


RULES: dict[Action, frozenset[str]] = {
    Action.VIEW_CONTRACT: CONTRACT_PARTIES | WHOLE_TEAM | {SERVICE_LEAD},
    Action.EDIT_CONTRACT: frozenset({ONBOARDING_TEAM, ADMINISTRATOR}),
    Action.VIEW_HISTORY: frozenset({COR, ONBOARDING_TEAM, TEAM_LEAD, ADMINISTRATOR}),
    Action.COMPLETE_STEP: frozenset({ONBOARDING_TEAM, ADMINISTRATOR}),
    Action.NOTIFY_AWARD: frozenset({COR}),
    # The COR and POC fill the intake; after submission only the team edits it (the
    # request's status decides which side: see may_edit_intake).
    Action.EDIT_INTAKE: frozenset({COR, POC, ONBOARDING_TEAM}),
    Action.SUBMIT_INTAKE: frozenset({COR, POC}),
    Action.ANSWER_QUESTION: frozenset({COR, POC}),
    Action.REVIEW_INTAKE: frozenset({ONBOARDING_TEAM}),
    # The lead's decision on a reviewed request: approve, send back to the team, or reject.
    Action.APPROVE_AS_LEAD: frozenset({TEAM_LEAD}),
    # An onboarding or additional-service request: the COR withdraws it before the (team or
    # service) lead's approval; the team cancels it before the welcome package or addendum,
    # and reopens a withdrawn or cancelled one.
    Action.WITHDRAW_REQUEST: frozenset({COR}),
    Action.CANCEL_REQUEST: frozenset({ONBOARDING_TEAM}),
    Action.REOPEN_REQUEST: frozenset({ONBOARDING_TEAM}),
    Action.RECORD_MEETING: frozenset({ONBOARDING_TEAM}),
    Action.DECIDE_SERVICE: frozenset({SERVICE_LEAD}),
    Action.SEND_WELCOME: frozenset({ONBOARDING_TEAM}),
    Action.VIEW_WELCOME: CONTRACT_PARTIES | WHOLE_TEAM,
    Action.RECORD_CALL: frozenset({COR, ONBOARDING_TEAM}),
    Action.ANSWER_SURVEY: frozenset({POC, SO, SPOC}),
    Action.VIEW_SURVEY: frozenset({ONBOARDING_TEAM, TEAM_LEAD, ADMINISTRATOR}),
    Action.VIEW_ROSTER: frozenset({SO, SPOC, COR, ONBOARDING_TEAM, TEAM_LEAD, ADMINISTRATOR}),
    # The SO onboards the contractor's users into approved services only.
    Action.MANAGE_ROSTER: frozenset({SO}),
    # Someone on the agency side confirms a requested grant was provisioned.
    Action.CONFIRM_ACCESS: frozenset({ONBOARDING_TEAM, SERVICE_LEAD}),
    # A roster member's EUA background check: the SO starts their users' checks, the
    # onboarding team sees them complete.
    Action.RECORD_EUA_CHECK: frozenset({SO, ONBOARDING_TEAM}),
    Action.UPLOAD_DUA: frozenset({SO, COR, ONBOARDING_TEAM}),
    Action.INVALIDATE_DUA: frozenset({COR, ONBOARDING_TEAM}),
    Action.REQUEST_SERVICE: frozenset({COR, POC, SO, SPOC}),
    Action.APPROVE_REQUEST_AS_COR: frozenset({COR}),
    Action.CHOOSE_SCENARIO: frozenset({COR}),
    # The team confirms access removal and records the data archive.
    Action.CONFIRM_REMOVAL: frozenset({ONBOARDING_TEAM}),
    # A re-award chosen by mistake: the team undoes it before the carry-over.
    Action.UNDO_REAWARD: frozenset({ONBOARDING_TEAM}),
    # In a recertification campaign the SO says of each of their users' grants "still
    # needed" or "remove" (muster/recertification).
    Action.CERTIFY_ACCESS: frozenset({SO}),
    # The evidence package for auditors holds the contract's audit events: those who may
    # read its history (muster/evidence).
    Action.EXPORT_EVIDENCE: frozenset({COR, ONBOARDING_TEAM, TEAM_LEAD, ADMINISTRATOR}),
}
# Which stages allow an intake form to be started, changed and submitted: between the award
# and the end of onboarding. A request the onboarding team returned to the COR and POC (a
# question, or no service found eligible) may still be changed after that (the closeout
# notice can come first), until the contract closes. Plain values of contracts.Stage and
# onboarding.Status: this module imports nothing above the ground layer (it reads
# contracts' models, the ground's, to decide who sees which contract).
INTAKE_STAGES = frozenset({"awarded", "onboarding"})
RETURNED_TO_REQUESTERS = "question"


def intake_closed_reason(contract, request=None) -> str:
    """Why the contract's intake form cannot be started, changed or submitted now, for
    anyone ("" when its stage allows it; RULES still decide who may)."""
    # A re-award's new record never passes through the intake stages: ask only outside them.
    if contract.stage in INTAKE_STAGES:
        return ""
    if contract.stage != "solicitation" and carried_over(contract):
        return ("This contract was re-awarded to the incumbent: its onboarding carried over "
                "from the previous contract, so it has no intake form.")
    if contract.stage == "solicitation":
        return "The intake form opens once the award is recorded."
    returned = request is not None and request.status == RETURNED_TO_REQUESTERS
    if returned and contract.stage != "closed":
        return ""
    return (f"This contract is {contract.get_stage_display().lower()}: an intake form is "
            "started, changed and submitted only while a contract is awarded or onboarding "
            "(or when the onboarding team returns the request to the COR and POC, until the "
            "contract closes).")


def carried_over(contract) -> bool:
    """The new record of a re-award to the incumbent (closeout scenario 1, by its plain
    value): its stage says so, or a closeout names it as the re-award's successor."""
    if contract.stage in ("reawarded", "withdrawn"):
        return True
    return contract.pk is not None and bool(_REAWARDED_TO_INCUMBENT.rows(pk=contract.pk))


REAWARD_INCUMBENT = 1
# Asked by the contract page (its intake panel) on every visit: built once.
_REAWARDED_TO_INCUMBENT = Compiled(
    lambda pk: Contract.objects.filter(
        pk=pk, predecessor_closeouts__scenario=REAWARD_INCUMBENT).values("pk")[:1],
    pk=int,
)


# Who may file a solicitation notice (which creates a contract): a person with the COR
# team role, or the onboarding team on a COR's behalf.
NOTIFY_SOLICITATION_ROLES = frozenset({T.COR, ONBOARDING_TEAM})


def may_notify_solicitation(user, obj=None) -> bool:
    return bool(team_roles(user) & NOTIFY_SOLICITATION_ROLES)


def emails_of_team_role(role: str, service=None) -> list[str]:
    """Addresses of everyone holding a team role (for a service, its leads)."""
    rows = TeamRole.objects.filter(role=role, user__is_active=True)
    if service is not None:
        rows = rows.filter(service=service)
    return list(rows.values_list("user__email", flat=True).order_by("user__email"))


# Read by the header on every page: built once (muster/compiled.py).
_TEAM_ROLES = Compiled(
    lambda user_id: TeamRole.objects.filter(user_id=user_id).values_list("role", "service_id"),
    user_id=int,
)


def team_roles(user) -> frozenset[str]:
    """The person's team-wide roles, read once per request."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_muster_team_roles", None)
    if cached is None:
        rows = _TEAM_ROLES.rows(user_id=user.pk)
        cached = frozenset(role for role, _ in rows)
        if user.is_superuser:
            cached |= {ADMINISTRATOR}
        user._muster_team_roles = cached
        user._muster_led_services = frozenset(s for role, s in rows if role == SERVICE_LEAD)
    return cached


def led_service_ids(user) -> frozenset[int]:
    team_roles(user)
    return getattr(user, "_muster_led_services", frozenset())


def sees_every_contract(user) -> bool:
    return bool(team_roles(user) & WHOLE_TEAM)


# Read by roles_on on nearly every page: built once (muster/compiled.py).
_CONTRACT_ROLES = Compiled(
    lambda contract_id, user_id: ContractRole.objects.filter(
        contract_id=contract_id, user_id=user_id).order_by().values_list("role"),
    contract_id=int, user_id=int,
)


def roles_on(user, contract) -> frozenset[str]:
    """Every role the person holds on this contract, team roles included."""
    if not user.is_authenticated:
        return frozenset()
    # Asked many times while one page renders: read once per person, contract and request.
    cache = user.__dict__.setdefault("_muster_roles_on", {})
    if contract.pk in cache:
        return cache[contract.pk]
    roles = set(team_roles(user) & WHOLE_TEAM)
    roles.update(role for role, in _CONTRACT_ROLES.rows(contract_id=contract.pk,
                                                        user_id=user.pk))
    leads = led_service_ids(user)
    if leads and contract.services.filter(service_id__in=leads).exists():
        roles.add(SERVICE_LEAD)
    cache[contract.pk] = frozenset(roles)
    return cache[contract.pk]


def forget_roles(user) -> None:
    """After a change to the person's roles within one request."""
    user.__dict__.pop("_muster_roles_on", None)


def can(user, action: Action, contract) -> bool:
    return bool(roles_on(user, contract) & RULES[action])


# --- ground: pages about no one contract (the header's links, the outbox) ---
# Each answers (user, obj) like every predicate; obj is not used (None).
OUTBOX_ROLES = frozenset({ONBOARDING_TEAM, ADMINISTRATOR})
ACCESS_TO_CONFIRM_ROLES = frozenset({ONBOARDING_TEAM, SERVICE_LEAD})


def may_see_outbox(user, obj=None) -> bool:
    """The outbox: the onboarding team and administrators."""
    return bool(team_roles(user) & OUTBOX_ROLES)


def may_see_review_queue(user, obj=None) -> bool:
    """The onboarding team, its lead and administrators: those who see every contract."""
    return sees_every_contract(user)


def may_see_service_decisions(user, obj=None) -> bool:
    return SERVICE_LEAD in team_roles(user)


def may_see_surveys(user, obj=None) -> bool:
    return bool(team_roles(user) & RULES[Action.VIEW_SURVEY])


# Whether a person is named on any contract as a party: asked by the header on every page.
_A_PARTY_ROLE = Compiled(
    lambda user_id: ContractRole.objects.filter(user_id=user_id, role__in=CONTRACT_PARTIES)
    .order_by().values("pk")[:1], user_id=int)


def may_see_service_requests(user, obj=None) -> bool:
    """The team, service leads, and anyone named on a contract as a party."""
    if team_roles(user) & (WHOLE_TEAM | {SERVICE_LEAD}):
        return True
    return bool(user.is_authenticated and _A_PARTY_ROLE.rows(user_id=user.pk))


def may_see_access_to_confirm(user, obj=None) -> bool:
    """The list of access waiting for confirmation (page and header link)."""
    return bool(team_roles(user) & ACCESS_TO_CONFIRM_ROLES)


def may_see_accounts(user, obj=None) -> bool:
    """The accounts page (muster/identity): the onboarding team, its lead, administrators."""
    return bool(team_roles(user) & WHOLE_TEAM)


def may_administer(user, obj=None) -> bool:
    """Django's administration: staff accounts."""
    return bool(user.is_staff)


# --- closeout: who may see what is not about one contract --------------------------------


def may_see_sweep_runs(user, _obj=None) -> bool:
    """The daily sweep's runs and reports (and the header's link to them): for the teams
    that see every contract."""
    return sees_every_contract(user)

# --- access: confirming grants, seeing and deciding additional-service requests ----------
# Values of access's AdditionalServiceRequest.Status, plain: this module imports no other
# app. Past the COR's approval, the team and the service leads see a request.
SERVICE_REQUEST_PAST_COR = frozenset(
    {"awaiting_leads", "approved", "denied", "cor_withdrawn", "cancelled"})


def may_confirm_grant(user, grant) -> bool:
    """The onboarding team confirms any grant; a service lead only their service's."""
    roles = roles_on(user, grant.contract)
    if ONBOARDING_TEAM in roles:
        return True
    return bool(roles & RULES[Action.CONFIRM_ACCESS]) and grant.service_id in led_service_ids(user)


def may_confirm_grant_now(user, grant) -> bool:
    """A requested grant the person may confirm (its button on the roster and member pages)."""
    return grant.status == "requested" and may_confirm_grant(user, grant)


def may_see_service_request(user, req) -> bool:
    """A request's page: the contract's COR and contractor parties always; the team, and
    anyone who sees the contract through a service they lead, once the COR approved it;
    the leads of the requested service once the COR approved it."""
    if not user.is_authenticated:
        return False
    if roles_on(user, req.contract) & CONTRACT_PARTIES:
        return True
    if req.status not in SERVICE_REQUEST_PAST_COR:
        return False
    if req.service_id in led_service_ids(user):
        return True
    return visible_contracts(user).filter(pk=req.contract_id).exists()


def leads_the_service(user, item) -> bool:
    """A lead of the service asked for decides on it: a contract's requested service
    (contracts.ContractService) or an additional-service request."""
    return item.service_id in led_service_ids(user)

# --- onboarding: the request's transitions, its intake form, its review pages ---------
# Plain values of onboarding.Status (this module imports no other app).
INTAKE_STOPPED = frozenset({"withdrawn", "cancelled", "rejected"})
WITH_REQUESTERS = frozenset({"draft", RETURNED_TO_REQUESTERS})


def on_contract(action: Action) -> Callable[[Any, Any], bool]:
    """A transition's `permission=` (django-fsm): whether the person's roles on the object's
    contract allow `action`, so `get_available_user_<field>_transitions(user)` offers only
    the moves this person may make."""
    def allowed(obj, user) -> bool:
        return can(user, action, obj.contract)
    return allowed


def may_edit_intake(user, request) -> bool:
    """Draft or open question: the COR and POC; after submission: only the team; and only
    while the request is not stopped (withdrawn, cancelled or rejected), not complete, and
    the contract's stage allows an intake (intake_closed_reason)."""
    if request.status in INTAKE_STOPPED or intake_closed_reason(request.contract, request):
        return False
    roles = roles_on(user, request.contract)
    if request.status in WITH_REQUESTERS:
        return bool(roles & {COR, POC})
    if request.status == "complete":
        return False
    return ONBOARDING_TEAM in roles


def may_submit_intake(user, request) -> bool:
    """A draft the person may change and, as the COR or POC, submit."""
    return (request.status == "draft" and may_edit_intake(user, request)
            and can(user, Action.SUBMIT_INTAKE, request.contract))


def may_start_intake(user, contract) -> bool:
    """The COR or POC starts the intake of a contract whose stage allows one."""
    return not intake_closed_reason(contract) and can(user, Action.SUBMIT_INTAKE, contract)


# --- reports: the metrics page (issue 14) ----------------------------------------------
def may_see_metrics(user, obj=None) -> bool:
    """The metrics page, its charts and their CSV files: the onboarding team, its lead and
    administrators: those who see every contract, which the numbers cover."""
    return sees_every_contract(user)


# --- shell: what the header search shows (issue 14) ------------------------------------


def roster_visible_contracts(user, queryset: QuerySet | None = None) -> QuerySet:
    """The contracts whose roster (contractor users) the person may see: all of them for
    the team, else those where they hold a role that VIEW_ROSTER allows."""
    queryset = Contract.objects.all() if queryset is None else queryset
    if not user.is_authenticated:
        return queryset.none()
    # The team roles that see every roster: those that see every contract (a team role's
    # value may equal a contract role's, "cor": never compare the two sets).
    if sees_every_contract(user):
        return queryset
    return queryset.filter(Exists(ContractRole.objects.filter(
        contract=OuterRef("pk"), user=user, role__in=RULES[Action.VIEW_ROSTER])))


def visible_people_roles(user) -> QuerySet:
    """The contract roles (person on a contract) the person may be shown: the parties of
    every contract they see, the contractor users of every roster they see, and their own
    roles (a contractor user sees themselves and the contracts they are a user on)."""
    if not user.is_authenticated:
        return ContractRole.objects.none()
    parties = Q(role__in=CONTRACT_PARTIES, contract__in=visible_contracts(user).values("pk"))
    roster = Q(role=CONTRACTOR_USER, contract__in=roster_visible_contracts(user).values("pk"))
    return ContractRole.objects.filter(parties | roster | Q(user=user))


# Decisions that need more than a role on a contract (a status, an object's owner), by name,
# for `allows` and the `{% may %}` tag. Each takes (user, obj) and answers True or False.
def may_resend_invitation(user, role) -> bool:
    """A new invitation link (muster/identity): the team for anyone named on a contract
    (`role`, a ContractRole), the contract's SO for the users on its roster."""
    if team_roles(user) & WHOLE_TEAM:
        return True
    return role.role == CONTRACTOR_USER and can(user, Action.MANAGE_ROSTER, role.contract)


PREDICATES: dict[str, Callable[[Any, Any], bool]] = {
    "notifications.see_outbox": may_see_outbox,
    "onboarding.see_review_queue": may_see_review_queue,
    "onboarding.see_service_decisions": may_see_service_decisions,
    "onboarding.notify_solicitation": may_notify_solicitation,
    "onboarding.see_surveys": may_see_surveys,
    "access.see_service_requests": may_see_service_requests,
    "access.see_access_to_confirm": may_see_access_to_confirm,
    "accounts.administer": may_administer,
    "identity.see_accounts": may_see_accounts,
    "closeout.see_sweep_runs": may_see_sweep_runs,
    "access.confirm_grant": may_confirm_grant_now,
    "onboarding.edit_intake_now": may_edit_intake,
    "onboarding.submit_intake_now": may_submit_intake,
    "onboarding.start_intake": may_start_intake,
    "identity.resend_invitation": may_resend_invitation,
    # reports (issue 14)
    "reports.see_metrics": may_see_metrics,
}


def allows(user, name: str, obj) -> bool:
    """What `{% may name obj as x %}` asks: an `Action` value on a contract (`can`), or a
    named predicate from PREDICATES on its object."""
    if name in PREDICATES:
        return PREDICATES[name](user, obj)
    return can(user, Action(name), obj)


def visible_contracts(user, queryset: QuerySet | None = None) -> QuerySet:
    """The contracts whose pages the person may open."""
    queryset = Contract.objects.all() if queryset is None else queryset
    if not user.is_authenticated:
        return queryset.none()
    if sees_every_contract(user):
        return queryset
    condition = Q(as_party(user.pk))
    leads = led_service_ids(user)
    if leads:
        condition |= Q(
            Exists(ContractService.objects.filter(contract=OuterRef("pk"), service_id__in=leads))
        )
    return queryset.filter(condition)


def as_party(user_id: int) -> Exists:
    """A contract the person holds a party's role on (COR, POC, SO, SPOC, user)."""
    return Exists(ContractRole.objects.filter(contract=OuterRef("pk"), user_id=user_id,
                                              role__in=CONTRACT_PARTIES))


def sees_as_party_only(user) -> bool:
    """Whether the contracts this person may see are those they hold a party's role on,
    and no more (neither the team's every contract nor a service lead's services')."""
    return (user.is_authenticated and not sees_every_contract(user)
            and not led_service_ids(user))


# The contract contract_for reads when given no query set of its own: built once.
_CONTRACT = Compiled(lambda pk: Contract.objects.filter(pk=pk), pk=int)
# A bigint's largest value: a larger id names no contract (the database would refuse it).
_LARGEST_ID = 2**63 - 1
# The roles on a contract that let a person who does not see every contract see it: a
# party's, or leading one of its services (visible_contracts, for one contract).
SEEN_BY = CONTRACT_PARTIES | {SERVICE_LEAD}


def sees_contract(user, contract) -> bool:
    """Whether visible_contracts(user) holds this contract: decided from the person's roles
    on it (roles_on), which the action is asked of next, so nothing more is read."""
    return sees_every_contract(user) or bool(roles_on(user, contract) & SEEN_BY)


def contract_for(user, pk, action: Action, queryset: QuerySet | None = None):
    """The contract if the person may take the action on it; else 404 (cannot see it) or 403."""
    if queryset is None:
        contract = _contract_seen(user, pk)
    else:
        try:
            contract = visible_contracts(user, queryset).get(pk=pk)
        except (ValueError, TypeError, Contract.DoesNotExist) as exc:
            raise Http404("No such contract.") from exc
    if not can(user, action, contract):
        raise PermissionDenied("Your role on this contract does not allow that.")
    return contract


def _contract_seen(user, pk) -> Contract:
    """The contract by its id if the person may see it, else 404: a query built once, then
    their roles on it (which `can` reads again free), where visible_contracts' query was
    built afresh on each of nearly every page (3,000 Python calls)."""
    if not user.is_authenticated:
        raise Http404("No such contract.")
    try:
        number = int(pk)
    except (ValueError, TypeError) as exc:
        raise Http404("No such contract.") from exc
    found = _CONTRACT.objects(pk=number) if 0 < number <= _LARGEST_ID else []
    if not found or not sees_contract(user, found[0]):
        raise Http404("No such contract.")
    return found[0]  # type: ignore[return-value]


# --- work: assignment of the team's work items, My work and the dashboard (issue 14) -----
# A work item (muster/work/items.py) is an open onboarding request, additional-service
# request, grant waiting for confirmation or closeout; `item` below is one of those rows
# (it has `contract`; grants and additional-service requests also `service_id`).
# Who may be given an item: the onboarding team and its lead, for every kind; for a grant or
# an additional-service request, also the leads of its service. The team and its lead
# share out the work (assign anyone who may work the item, unassign); whoever may work an
# item takes it; an assignee may give theirs back to the queue.
WORK_ASSIGNERS = frozenset({ONBOARDING_TEAM, TEAM_LEAD})
WORK_DASHBOARD_ROLES = WHOLE_TEAM


def may_see_my_work(user, obj=None) -> bool:
    """My work (and its header link): the team, its lead, administrators and service leads."""
    return bool(team_roles(user) & (WHOLE_TEAM | {SERVICE_LEAD}))


def may_see_work_dashboard(user, obj=None) -> bool:
    """The dashboard and its filtered lists: those who see every contract."""
    return bool(team_roles(user) & WORK_DASHBOARD_ROLES)


def may_see_work_item(user, item) -> bool:
    """An item's assignment page: the team, its lead and administrators; a lead of the
    item's service (grants and additional-service requests)."""
    if sees_every_contract(user):
        return True
    service_id = getattr(item, "service_id", None)
    return service_id is not None and service_id in led_service_ids(user)


def may_work_on(user, item) -> bool:
    """Whether the person may be the item's assignee (and so take it)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if team_roles(user) & WORK_ASSIGNERS:
        return True
    service_id = getattr(item, "service_id", None)
    return service_id is not None and service_id in led_service_ids(user)


def may_assign_work(user, item=None) -> bool:
    """Give an item to someone (or take it off them): the onboarding team and its lead."""
    return bool(team_roles(user) & WORK_ASSIGNERS)


def may_unassign_work(user, assignment) -> bool:
    """The team and its lead; and the assignee, who gives the item back to the queue."""
    return may_assign_work(user) or (
        assignment is not None and assignment.assignee_id == user.pk)


def home_shows_my_work(user, obj=None) -> bool:
    """The home page is My work for those who see every contract (muster/work/views.home)."""
    return sees_every_contract(user)


def home_shows_contracts(user, obj=None) -> bool:
    return not sees_every_contract(user)


def may_see_my_work_beside_home(user, obj=None) -> bool:
    """My work as a page of its own: for service leads, whose home is their contracts."""
    return may_see_my_work(user) and not sees_every_contract(user)


# --- webhooks (issue 15): the endpoints and their deliveries, for the team ----------------


def may_manage_webhooks(user, _obj=None) -> bool:
    """Webhook endpoints and their deliveries: the onboarding team, its lead and
    administrators (the payloads name every contract)."""
    return sees_every_contract(user)


PREDICATES["webhooks.manage"] = may_manage_webhooks


def header_key(user) -> tuple:
    """What the header's links (accounts/context_processors.HEADER_LINKS) are decided by: the
    person's team roles, whether they are staff (the admin site), and whether they see
    service requests (a party on some contract: one query, for whoever is not on the team
    nor a service lead). Two people with the same key see the same links, worked out once
    (tests/test_navigation_html.py holds every combination to its predicates)."""
    return team_roles(user), bool(user.is_staff), may_see_service_requests(user)


PREDICATES.update({
    "home.shows_my_work": home_shows_my_work,
    "home.shows_contracts": home_shows_contracts,
    "work.see_my_work_beside_home": may_see_my_work_beside_home,
    "work.see_my_work": may_see_my_work,
    "work.see_dashboard": may_see_work_dashboard,
    "work.take": may_work_on,
    "work.assign": may_assign_work,
})


# --- conversation: who reads and writes a thread's entries (muster/conversation) ----------
# Plain values of conversation.Visibility (this module imports no other app).
SHARED_ENTRY, INTERNAL_ENTRY = "shared", "internal"
# Shared comments: the contract's COR, POC, SO and SPOC, the onboarding team, its lead and
# administrators, and the leads of a service on the contract (they see the contract and
# decide on its services: what is said to the COR about them is theirs to read and answer).
# Internal notes: the onboarding team, its lead and administrators only. Contractor users
# read no thread. Whoever may read a kind of entry may write one, and only they may be
# notified of it (an internal note cannot notify the COR).
THREAD_READERS: dict[str, frozenset[str]] = {
    SHARED_ENTRY: CONTRACT_PARTIES | WHOLE_TEAM | {SERVICE_LEAD},
    INTERNAL_ENTRY: WHOLE_TEAM,
}


def thread_roles(user, contract, about=None) -> frozenset[str]:
    """The person's roles for a thread: their roles on the contract, and for an
    additional-service request they may see (`about`), a lead of the service it asks for
    counts as a service lead of the contract (the service may not be on it yet)."""
    roles = roles_on(user, contract)
    service_id = getattr(about, "service_id", None)
    if (service_id is not None and SERVICE_LEAD not in roles
            and service_id in led_service_ids(user) and may_see_service_request(user, about)):
        roles = roles | {SERVICE_LEAD}
    return roles


def may_read_thread(user, contract, about=None, visibility: str = SHARED_ENTRY) -> bool:
    """Whether the person reads (and may write) entries of this visibility on the thread of
    the contract, or of its request `about`."""
    return bool(thread_roles(user, contract, about) & THREAD_READERS[visibility])


def may_write_entry(user, contract, about=None, visibility: str = SHARED_ENTRY) -> bool:
    return may_read_thread(user, contract, about, visibility)


def may_read_entry(user, entry) -> bool:
    """One entry (its attachments' downloads ask this)."""
    about = entry.about if entry.about_id is not None else None
    return may_read_thread(user, entry.contract, about, entry.visibility)


def may_write_internal_note(user, contract) -> bool:
    return may_write_entry(user, contract, None, INTERNAL_ENTRY)


PREDICATES.update({
    "conversation.read_thread": may_read_thread,
    "conversation.write_internal_note": may_write_internal_note,
})


# --- api: the provisioning clients' tokens for SCIM (muster/api, issue 15) ----------------


def may_manage_provisioning_clients(user, obj=None) -> bool:
    """Issuing, listing and revoking the tokens of provisioning clients (Okta, Entra ID,
    ServiceNow), which read who holds which service: the onboarding team, its lead and
    administrators."""
    return bool(team_roles(user) & WHOLE_TEAM)


PREDICATES.update({
    "api.manage_provisioning_clients": may_manage_provisioning_clients,
})


# --- recertification and reconciliation (issue 16): the team's pages about every contract --


def may_run_recertification(user, obj=None) -> bool:
    """Opening campaigns and following their progress: the onboarding team, its lead and
    administrators."""
    return sees_every_contract(user)


def may_see_reconciliation(user, obj=None) -> bool:
    """The findings name every contract's users: the team, its lead and administrators."""
    return sees_every_contract(user)


PREDICATES.update({
    "recertification.run": may_run_recertification,
    "reconciliation.see": may_see_reconciliation,
})


# --- recertification (issue 16): a contract's page in a campaign ---------------------------


def may_see_certification(user, contract) -> bool:
    """A contract's grants in a campaign: its SO (who decides) and the team (who follows
    the progress)."""
    return can(user, Action.CERTIFY_ACCESS, contract) or may_run_recertification(user)


PREDICATES.update({
    "recertification.see_contract": may_see_certification,
})
