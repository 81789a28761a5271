"""What access adds to the contract page and the home page (registered by
AccessConfig.ready())."""

from muster.accounts import permissions
from muster.accounts.models import ContractRole
from muster.accounts.permissions import Action
from muster.compiled import Compiled
from muster.contracts import panels
from muster.contracts import queries as contract_queries

from . import dua_warnings
from .models import REQUESTABLE_STAGES
from .queries import contract_requests, dua_status, grants_by_contract

# A slot of the access panel's own: the buttons an app above access adds beside the
# roster's (closeout's), in order.
CONTRACT_ACTIONS = "access.contract_actions"


@panels.register(panels.CONTRACT, order=20, template="access/panels/contract.html")
def contract_panel(user, contract, today) -> dict | None:
    """Roster, DUA, additional services (and what registers in CONTRACT_ACTIONS), as this
    person may reach them; None when there is nothing of it for them."""
    # The contract page prefetched its services with their service: read them, not again.
    services = getattr(contract, "_prefetched_objects_cache", {}).get("services")
    status = dua_status(contract, today, services)
    dua_state = status if status.needed or status.dua else None
    started = contract.stage not in ("solicitation",)
    panel = {
        "can_view_roster": started and permissions.can(user, Action.VIEW_ROSTER, contract),
        "can_manage_roster": permissions.can(user, Action.MANAGE_ROSTER, contract),
        "can_request_service": contract.stage in REQUESTABLE_STAGES
        and permissions.can(user, Action.REQUEST_SERVICE, contract),
        "service_requests": contract_requests(user, contract),
        "dua": dua_state,
        "dua_warning": _dua_warning(user, contract, today) if status.dua else None,
        "actions": panels.shown(CONTRACT_ACTIONS, user, contract, today),
    }
    return panel if any(panel.values()) else None


def _dua_warning(user, contract, today) -> dict | None:
    """A DUA inside its warning window whose lapse would pause access, and whether this
    person may upload the renewed one (queries only for a contract holding a DUA)."""
    warning = dua_warnings.upcoming(contract, today)
    if warning is None:
        return None
    return {"warning": warning, "can_upload": permissions.can(user, Action.UPLOAD_DUA, contract)}


# Whether the person is a contractor user on any contract: every home page asks it, and
# most people are not (a COR, the team), so it is built once (muster/compiled.py) and the
# contracts are read only for those who are.
_ON_A_ROSTER = Compiled(
    lambda user_id: ContractRole.objects.filter(
        user_id=user_id, role=ContractRole.Role.CONTRACTOR_USER).values_list("pk")[:1],
    user_id=int,
)


@panels.register(panels.HOME, order=10, template="access/panels/home.html")
def home_panel(user, obj, today) -> dict | None:
    """A contractor user's access: each contract they are a user on, with its grants."""
    if not user.is_authenticated or not _ON_A_ROSTER.rows(user_id=user.pk):
        return None
    contracts = list(contract_queries.contracts_as_contractor_user(user))
    if not contracts:
        return None
    grants = grants_by_contract(user)
    return {"contracts": [(contract, grants.get(contract.pk, [])) for contract in contracts]}
