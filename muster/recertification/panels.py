"""What recertification adds to the contract page and the home page (registered by
RecertificationConfig.ready()): the SO's "N of M grants to certify by <date>"."""

from muster.accounts import permissions
from muster.accounts.permissions import Action
from muster.contracts import panels

from .queries import to_certify


@panels.register(panels.CONTRACT, order=25, template="recertification/panels/so.html")
def contract_panel(user, contract, today) -> dict | None:
    if not permissions.can(user, Action.CERTIFY_ACCESS, contract):
        return None
    rows = to_certify(user, contract)
    return {"rows": rows, "home": False, "today": today} if rows else None


@panels.register(panels.HOME, order=15, template="recertification/panels/so.html")
def home_panel(user, obj, today) -> dict | None:
    rows = to_certify(user)
    return {"rows": rows, "home": True, "today": today} if rows else None
