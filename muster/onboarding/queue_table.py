"""The review queue's table rows (onboarding/review/queue.html), written in Python.

Issue 17: the default queue shows 150 rows (six sections of 25); drawn by the template
engine they were about half of the page's work, a variable lookup, an escape and a filter
at a time. A row here is one f-string of escaped values, the same HTML the template wrote
(the standard library's escape, as Django's own does, without its check for lazy text).
What a row shows (queries.QueueRow):

- the contract's name, linked to its request, its number, and when an open question was
  asked;
- its organization (else "Not given");
- when it was submitted and by whom;
- its age in business days;
- the step that matters now and its due date (overdue tagged), or "Nothing is due".
"""

import functools
from html import escape

from django.utils.safestring import SafeString, mark_safe

from muster import reverse_once
from muster.contracts.templatetags.muster_tags import status_tag

_OVERDUE = str(status_tag("step", "overdue"))


class QueueTable:
    """Writes a page's sections of rows (queries.QueueRow): the address of a request and
    the page's repeated texts (150 rows, about 20 distinct dates) are escaped once."""

    def __init__(self):
        self._address = reverse_once.per_id_escaped("onboarding:request")
        self._text = functools.cache(escape)

    def rows_html(self, rows) -> SafeString:
        """A section's table body rows."""
        # Safe: every value in a row went through escape() or is a number or fixed text.
        return mark_safe("".join(self._row(row) for row in rows))  # noqa: S308

    def _row(self, row) -> str:
        text = self._text
        question = (f'<br><span class="font-body-2xs">Question asked '
                    f"{text(row.question_text)}</span>" if row.question_text else "")
        return (
            "      <tr>\n"
            '        <th scope="row" data-label="Contract">'
            f'<a href="{self._address(row.contract_id)}">{escape(row.contract_name)}'
            f'</a><br><span class="font-body-2xs">{escape(row.contract_number)}</span>'
            f"{question}</th>\n"
            '        <td data-label="Organization">'
            f"{escape(row.organization) if row.organization else 'Not given'}</td>\n"
            f'        <td data-label="Submitted">{self._submitted(row)}</td>\n'
            f'        <td data-label="Age">{_age(row)}</td>\n'
            f'        <td data-label="Due">{self._due(row)}</td>\n'
            "      </tr>\n"
        )

    def _submitted(self, row) -> str:
        if not row.submitted_text:
            return "—"
        by = (f'<br><span class="font-body-2xs">by {escape(row.submitted_by)}</span>'
              if row.submitted_by is not None else "")
        return f"{self._text(row.submitted_text)}{by}"

    def _due(self, row) -> str:
        if row.stopped:
            return "Nothing is due"
        overdue = f" {_OVERDUE}" if row.overdue else ""
        return f"{self._text(row.step_name)}: {self._text(row.due_text)}{overdue}"


def _age(row) -> str:
    if row.age is None:
        return "—"
    return f"{row.age} business day{'' if row.age == 1 else 's'}"
