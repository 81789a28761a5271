"""What identity adds to the contract page (registered by IdentityConfig.ready()): for the
team, the table of the contract's people shows each person's account (invited, active,
never signed in, disabled) and a button to invite them again."""

from muster.accounts import permissions
from muster.contracts import panels, queries
from muster.reverse_once import per_id

from .invitations import sign_in_of


@panels.register(panels.PARTIES, order=10, template="identity/panels/parties.html")
def parties_panel(user, contract, today) -> dict | None:
    """The team (who may invite anyone named on the contract) sees the parties with their
    accounts: one query more than the plain table (the parties are prefetched: the first
    contractor users, and how many more the roster has)."""
    if not permissions.team_roles(user) & permissions.WHOLE_TEAM:
        return None
    parties, more_users = queries.parties(contract)
    if not parties:
        return None
    states = sign_in_of(r.user_id for r in parties)
    invite_url = per_id("identity:resend_invitation", contract.pk)
    return {"rows": [(role, states.get(role.user_id), invite_url(role.user_id))
                     for role in parties],
            "more_users": more_users}
