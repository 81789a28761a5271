"""What closeout adds to the contract page (registered by CloseoutConfig.ready()): its
button among the access panel's."""

from muster.access.panels import CONTRACT_ACTIONS
from muster.accounts import permissions
from muster.accounts.permissions import Action
from muster.contracts import panels

from .models import Closeout
from .queries import current_closeout


@panels.register(CONTRACT_ACTIONS, order=10, template="closeout/panels/contract_action.html")
def contract_action(user, contract, today) -> dict | None:
    """The contract's latest closeout, once it started; None before."""
    if contract.stage in ("solicitation",):
        return None
    closeout = current_closeout(contract)
    if closeout is None:
        return None
    return {"waits_for_you": permissions.can(user, Action.CHOOSE_SCENARIO, contract)
            and closeout.status == Closeout.Status.NOTICE_SENT}
