"""The cells every table of a contract's parties starts with, written in Python.

Issue 17: drawn by the template engine they cost about 350 function calls a party (a
variable lookup and an escape at a time); here one f-string of escaped values, the same
HTML. The contract page's plain table and identity's table with accounts both use it.
"""

from django.utils.safestring import SafeString, mark_safe

from muster.accounts.models import ContractRole
from muster.escaping import escape

EUA_ROLES = ("so", "spoc")  # whose EUA background check the table shows
# As get_role_display() and get_eua_check_display() say them, for a dict's price.
ROLES = {value: str(label) for value, label in ContractRole.Role.choices}
EUA_CHECKS = {value: str(label) for value, label in ContractRole.EuaCheck.choices}


def party_cells(party) -> SafeString:
    """A party's role, name and contact, HARP ID and EUA check: a row's first cells (from
    `<tr>`); `party` is a ContractRole with its user."""
    user = party.user
    role = ROLES.get(party.role, party.role)
    phone = f"<br>{escape(user.phone)}" if user.phone else ""
    eua = "—"
    if party.role in EUA_ROLES:
        eua = escape(EUA_CHECKS.get(party.eua_check, party.eua_check))
    return mark_safe(  # noqa: S308 (every value escaped above or here)
        f'<tr><th scope="row" data-label="Role">{escape(role)}</th>\n'
        f'      <td data-label="Name and contact">{escape(user.full_name)}<br>'
        f'<a href="mailto:{escape(user.email)}">{escape(user.email)}</a>{phone}</td>\n'
        f'      <td data-label="HARP ID">{escape(user.harp_id or "Not given")}</td>\n'
        f'      <td data-label="EUA check">{eua}</td>')
