"""What the roster's changes email: the SO (the SPOC copied) hears of people added and of
access requested, confirmed, paused or revoked. Queued in the change's transaction."""

from typing import Any

from muster import workflow
from muster.accounts.models import ContractRole
from muster.contracts.models import Contract
from muster.notifications import services as mail

from .models import AccessGrant, GrantStatus

CHANGE_WORDS = {
    GrantStatus.REQUESTED: "requested",
    GrantStatus.ACTIVE: "confirmed (active)",
    GrantStatus.PAUSED: "paused",
    GrantStatus.REVOKED: "revoked",
}


def _so_and_spoc(contract: Contract) -> tuple[list, list]:
    """The SO (to) and the SPOC (copied)."""
    return (workflow.people_with_roles(contract, ContractRole.Role.SO),
            workflow.people_with_roles(contract, ContractRole.Role.SPOC))


def access_changed(actor, contract: Contract, grants: list[AccessGrant], key: str):
    """Grants changed state (all to the same one)."""
    to, cc = _so_and_spoc(contract)
    return mail.queue(
        "access_changed", to=to, cc=cc, contract=contract, key=key,
        context={"actor": actor, "grants": grants,
                 "change": CHANGE_WORDS.get(grants[0].status, grants[0].status)},
    )


def users_added(actor, contract: Contract, key: str, **context: Any):
    """People joined the roster (one added by hand, or a file's rows)."""
    to, cc = _so_and_spoc(contract)
    return mail.queue("user_added", to=to, cc=cc, contract=contract, key=key,
                      context={"actor": actor, **context})
