"""API v1: a contract's roster and its access grants, as the roster pages offer them: who
may view the roster reads it; the SO adds a user and asks for their access to an approved
service, and revokes it; the onboarding team or the service's lead confirms a requested
grant once it is set up; both read the grants waiting for them.

Each operation is its page's view without the HTML: the same permission checks
(muster.accounts.permissions), the same form (adding a user), the same service function
(its emails and audit record; the record says it came through the API).
"""

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import CursorPagination, paginate

from muster.access import grants, queries, roster
from muster.access.forms import AddUserForm
from muster.access.guards import InvalidMember
from muster.access.models import AccessGrant
from muster.accounts import permissions
from muster.accounts.models import ContractRole
from muster.accounts.permissions import Action
from muster.catalog.models import Service
from muster.errors import NotAllowed

from .. import problems
from . import request_schemas as s
from .form_input import cleaned, invalid, member_refused

router = Router(tags=["access"])
# A write's answers: besides problems.WRITE's, 400 for a body that is not JSON at all.
WRITE = {**problems.WRITE, 400: problems.Problem}
GRANT_ROWS = ("contract", "user", "service", "requested_by")


def _grant(grant_id: int) -> AccessGrant:
    return AccessGrant.objects.select_related(*GRANT_ROWS).get(pk=grant_id)


def _grant_on(user, grant_id: int, action: Action) -> AccessGrant:
    """A grant the person may take `action` on, checked as its page's view does: its
    contract through `contract_for` (404 unseen, 403 not allowed)."""
    contract_id = AccessGrant.objects.values_list("contract_id", flat=True).get(pk=grant_id)
    contract = permissions.contract_for(user, contract_id, action)
    return AccessGrant.objects.select_related(*GRANT_ROWS).get(pk=grant_id, contract=contract)


def _with_grants(members, contract):
    """Roster rows with each member's grants on this contract (`user.grants_here`): one
    query for the page of rows, whatever its size."""
    here = AccessGrant.objects.filter(contract=contract).select_related("service").order_by(
        *queries.BY_SERVICE)
    return members.select_related("user").prefetch_related(
        Prefetch("user__access_grants", queryset=here, to_attr="grants_here"))


# --- The roster ------------------------------------------------------------------------


@router.get("/contracts/{contract_id}/roster",
            response={200: list[s.RosterMember], **problems.WITH_OBJECT},
            operation_id="list_roster", summary="A contract's roster and its users' grants")
@paginate(CursorPagination, ordering=("id",))
def list_roster(request: HttpRequest, contract_id: int):
    contract = permissions.contract_for(request.user, contract_id, Action.VIEW_ROSTER)
    return _with_grants(ContractRole.objects.filter(contract=contract, role=queries.MEMBER),
                        contract)


@router.post("/contracts/{contract_id}/roster",
             response={201: s.RosterMember, **WRITE},
             operation_id="add_roster_user",
             summary="Add a user to the contract's roster (the SO)")
def add_roster_user(request: HttpRequest, contract_id: int, payload: s.RosterUserIn):
    contract = permissions.contract_for(request.user, contract_id, Action.MANAGE_ROSTER)
    data = cleaned(AddUserForm(payload.dict()))
    try:
        role = roster.add_user(request.user, contract, **data)
    except InvalidMember as error:  # already on it, a HARP ID someone else holds...
        raise member_refused(error) from error
    return Status(201, _with_grants(ContractRole.objects.filter(pk=role.pk), contract).get())


# --- Grants -----------------------------------------------------------------------------


@router.post("/contracts/{contract_id}/grants", response={201: s.Grant, **WRITE},
             operation_id="request_grant",
             summary="Ask for a roster user's access to an approved service (the SO)")
def request_grant(request: HttpRequest, contract_id: int, payload: s.GrantIn):
    contract = permissions.contract_for(request.user, contract_id, Action.MANAGE_ROSTER)
    member = queries.person_of(contract, payload.user_id)
    if member is None:
        raise invalid({"user_id": ["That person is not on this contract's roster."]})
    service = Service.objects.filter(pk=payload.service_id).first()
    if service is None:
        raise invalid({"service_id": ["There is no such service."]})
    made = grants.grant(request.user, contract, member, service)
    return Status(201, _grant(made.pk))


@router.get("/grants/to-confirm",
            response={200: list[s.Grant], **problems.COMMON},
            operation_id="list_grants_to_confirm",
            summary="Requested grants waiting for you to confirm (the team, service leads)")
@paginate(CursorPagination, ordering=("id",))
def list_grants_to_confirm(request: HttpRequest):
    if not permissions.may_see_access_to_confirm(request.user):
        raise NotAllowed("Only the onboarding team and service leads confirm access.")
    return queries.waiting_for_confirmation(request.user)


@router.get("/grants/{grant_id}", response={200: s.Grant, **problems.WITH_OBJECT},
            operation_id="get_grant", summary="One access grant")
def get_grant(request: HttpRequest, grant_id: int):
    """Shown where a page shows it: to the person it gives access to (their own access),
    to whoever may confirm it (the list to confirm), else to the roster's readers."""
    user = request.user
    found = _grant(grant_id)
    if found.user_id == user.pk or permissions.may_confirm_grant(user, found):
        return found
    return _grant_on(user, grant_id, Action.VIEW_ROSTER)


@router.post("/grants/{grant_id}/confirm", response={200: s.Grant, **WRITE},
             operation_id="confirm_grant",
             summary="Confirm a requested grant is set up (the team or the service's lead)")
def confirm_grant(request: HttpRequest, grant_id: int):
    item = _grant_on(request.user, grant_id, Action.CONFIRM_ACCESS)
    grants.confirm(request.user, item)
    return _grant(grant_id)


@router.post("/grants/{grant_id}/revoke", response={200: s.Grant, **WRITE},
             operation_id="revoke_grant", summary="Revoke a grant (the SO)")
def revoke_grant(request: HttpRequest, grant_id: int):
    item = _grant_on(request.user, grant_id, Action.MANAGE_ROSTER)
    grants.revoke(request.user, item)
    return _grant(grant_id)
