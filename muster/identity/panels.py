"""What identity adds to the contract page (registered by IdentityConfig.ready()): whether
each person named on the contract can get in, and the team's button to invite them
again."""

from muster.accounts import permissions
from muster.accounts.models import ContractRole
from muster.contracts import panels

from .invitations import sign_in_of

PARTY_ORDER = {"cor": 0, "poc": 1, "so": 2, "spoc": 3}


@panels.register(panels.CONTRACT, order=30, template="identity/panels/contract.html")
def contract_panel(user, contract, today) -> dict | None:
    """For the team (who may invite anyone named on the contract): the parties' accounts."""
    if not permissions.team_roles(user) & permissions.WHOLE_TEAM:
        return None
    parties = sorted(
        ContractRole.objects.filter(contract=contract, role__in=permissions.CONTRACT_PARTIES)
        .select_related("user"),
        key=lambda r: (PARTY_ORDER.get(r.role, 9), r.user.full_name),
    )
    if not parties:
        return None
    states = sign_in_of(r.user_id for r in parties)
    return {"rows": [(role, states[role.user_id]) for role in parties]}
