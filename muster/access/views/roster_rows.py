"""The rows of the roster's table (access/roster/_results.html), written in Python.

Issue 17: drawn by the template engine, the roster's 50 rows were most of the page's work
(about 2,000 function calls a row: a variable lookup, an escape and a filter at a time,
each of a row's forms with its own). Here a row is a few f-strings of escaped values, the
same HTML the template wrote. What a row shows:

- the person's name, linked to their page, and email; their account's status and, when
  one can be sent, a button to send them a new invitation;
- their HARP ID and EUA background check;
- each grant: a checkbox for the bulk revoke, the service, its state and EUA job code,
  the buttons to confirm or revoke it; then a select of the services still grantable.
"""

import functools
from functools import cache

from django.utils.safestring import SafeString, mark_safe

from muster.contracts.templatetags.muster_tags import status_tag
from muster.escaping import escape
from muster.reverse_once import address, per_id_escaped

from ..models import GrantStatus

GRANT_STATES = dict(GrantStatus.choices)


@cache
def _tag(kind: str, value: str, label: str) -> str:
    """A status tag (muster_tags.status_tag): a page shows a handful of them 125 times."""
    return status_tag(kind, value, label)


def _form(action: str, csrf: str, back: str, button_class: str, label: str) -> str:
    """A one-button POST form to `action` that comes back to the row (`back`); both
    escaped."""
    return (f'<form method="post" action="{action}" class="display-inline">{csrf}'
            f'<input type="hidden" name="next" value="{back}">'
            f'<button class="usa-button usa-button--unstyled {button_class}" type="submit">'
            f"{label}</button></form>")


class RosterTable:
    """Writes a page of the roster's rows (the view's `Row`s, each grant with what the
    person may do with it, each row with its options already escaped). The rows' links
    and the page's repeated texts (services, states, EUA checks) are escaped once a page."""

    def __init__(self, contract_id: int, *, here: str, csrf_token: str, may_invite: bool):
        self.csrf = ('<input type="hidden" name="csrfmiddlewaretoken" '
                     f'value="{escape(csrf_token)}">')
        self.here, self.may_invite = escape(here), may_invite
        self.member_url = per_id_escaped("access:member", contract_id)
        self.invite_url = per_id_escaped("identity:resend_invitation", contract_id)
        self.confirm_url = per_id_escaped("access:confirm_grant", contract_id)
        self.revoke_url = per_id_escaped("access:revoke_grant", contract_id)
        self.grant_url = escape(address("access:grant", contract_id))
        self.text = functools.cache(escape)

    def rows_html(self, rows) -> SafeString:
        # Safe: every value went through escape(), status_tag() or format_html_join()
        # (options).
        return mark_safe("".join(self._row(row) for row in rows))  # noqa: S308

    def _row(self, row) -> str:
        member = row.member
        name, back = escape(member.full_name), f"{self.here}#member-{row.user_id}"
        if row.grants:
            grants = "".join(self._grant(g, name, back) for g in row.grants)
            access = ('\n          <ul class="usa-list usa-list--unstyled">\n'
                      f"            {grants}\n          </ul>\n          ")
        else:
            access = '<p class="margin-0">No access yet.</p>'
        return (
            "\n"
            f'      <tr id="member-{row.user_id}">\n'
            f'        <th scope="row" data-label="User"><a href="{self.member_url(row.user_id)}">'
            f'{name}</a><br><span class="font-body-2xs">{escape(member.email)}</span>\n'
            f"          {self._account(row, name, back)}</th>\n"
            f'        <td data-label="HARP ID">{escape(member.harp_id or "Not given")}</td>\n'
            f'        <td data-label="EUA check">{self.text(row.eua_check)}</td>\n'
            '        <td data-label="Access">\n'
            f"          {access}\n"
            f"          {self._grant_select(row, name)}\n"
            "        </td>\n"
            "      </tr>\n"
            "    "
        )

    def _grant(self, grant, name: str, back: str) -> str:
        service = self.text(grant.service_name)
        select = ""
        if grant.revocable:
            select = (f'<div class="usa-checkbox display-inline-block margin-right-1">'
                      f'<input class="usa-checkbox__input" id="select-{grant.pk}"'
                      f' type="checkbox" name="grant" value="{grant.pk}" form="bulk-revoke">'
                      f'<label class="usa-checkbox__label margin-top-0" for="select-{grant.pk}">'
                      f'Select<span class="usa-sr-only"> {name}\'s {service} access</span>'
                      "</label></div>")
        code = (f' <span class="font-body-2xs">needs EUA job code <strong>'
                f"{self.text(grant.eua_job_code)}</strong></span>" if grant.eua_job_code else "")
        confirm = (_form(self.confirm_url(grant.pk), self.csrf, back, "margin-left-1",
                         f"Confirm {name}'s {service} access") if grant.may_confirm else "")
        revoke = (_form(self.revoke_url(grant.pk), self.csrf, back,
                        "text-secondary-dark margin-left-1", f"Revoke {name}'s {service} access")
                  if grant.revocable else "")
        state = _tag("grant", grant.status, str(GRANT_STATES.get(grant.status, grant.status)))
        return (f'\n            <li class="margin-bottom-1">{select}{service} {state}{code}\n'
                f"              {confirm}\n"
                f"              {revoke}\n"
                f"            </li>\n            ")

    def _account(self, row, name: str, back: str) -> str:
        if row.sign_in is None:
            return ""
        status = row.sign_in.status
        invite = (_form(self.invite_url(row.user_id), self.csrf, back, "margin-left-1",
                        f"Send {name} a new invitation")
                  if self.may_invite and row.sign_in.invitable else "")
        return (f'<br><span class="usa-sr-only">Account: </span>'
                f'{_tag("account", status, str(status.label))}\n          {invite}')

    def _grant_select(self, row, name: str) -> str:
        if not row.grantable:
            return ""
        return (
            "\n"
            f'          <form method="post" action="{self.grant_url}"'
            ' class="usa-form margin-top-1">\n'
            f"            {self.csrf}\n"
            f'            <input type="hidden" name="user" value="{row.user_id}">'
            '<input type="hidden" name="origin" value="roster">\n'
            f'            <label class="usa-label margin-top-0" for="grant_{row.user_id}_service">'
            f"Grant {name} access to</label>\n"
            f'            <select name="service" class="usa-select" required'
            f' id="grant_{row.user_id}_service"><option value="" selected>- Select a service -'
            f"</option>{row.options}</select>\n"
            '            <button class="usa-button usa-button--outline margin-top-1"'
            ' type="submit">Grant access</button>\n'
            "          </form>\n"
            "          "
        )
