"""What evidence adds to the contract page (registered by EvidenceConfig.ready())."""

from muster.accounts import permissions
from muster.accounts.permissions import Action
from muster.contracts import panels


@panels.register(panels.CONTRACT, order=90, template="evidence/panels/contract.html")
def contract_panel(user, contract, today) -> dict | None:
    """The download button, for whoever may take the package (COR and the team)."""
    if not permissions.can(user, Action.EXPORT_EVIDENCE, contract):
        return None
    return {"may_export": True}
