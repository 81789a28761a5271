"""What identity adds to the contract page (registered by IdentityConfig.ready()): for the
team, the table of the contract's people shows each person's account (invited, active,
never signed in, disabled) and a button to invite them again."""

from django.utils.safestring import SafeString, mark_safe

from muster.accounts import permissions
from muster.contracts import panels, queries
from muster.contracts.party_cells import party_cells
from muster.contracts.templatetags.muster_tags import csrf_input, status_tag
from muster.escaping import escape
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


def party_rows(rows, csrf_token, back: str) -> SafeString:
    """The table's rows (identity/panels/parties.html), written in Python as the template
    wrote them (issue 17: about 340 function calls a row there): a party's cells, then
    their account's status and, when one can be sent, the button to invite them again,
    coming `back` to the page. Every value is escaped."""
    csrf, back = csrf_input(csrf_token), escape(back)
    tags: dict[str, str] = {}  # a few statuses, each drawn once a table

    def account(role, state, invite_url) -> str:
        if state is None:
            return ""
        tag = tags.get(state.status)
        if tag is None:
            tag = tags[state.status] = status_tag("account", state.status, state.status.label)
        if not state.invitable:
            return tag
        return (f'{tag}<form method="post" action="{escape(invite_url)}">{csrf}'
                f'<input type="hidden" name="next" value="{back}">'
                '<button class="usa-button usa-button--unstyled" type="submit">'
                f"Send {escape(role.user.full_name)} a new invitation</button></form>")

    return mark_safe("".join(  # noqa: S308 (party_cells and account() escape every value)
        f'\n    {party_cells(role)}\n      <td data-label="Account">'
        f"{account(role, state, invite_url)}</td></tr>\n  "
        for role, state, invite_url in rows))
