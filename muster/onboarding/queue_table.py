"""The review queue's table rows (onboarding/review/queue.html), written in Python.

Issue 17: the default queue shows 150 rows (six sections of 25); drawn by the template
engine they were about half of the page's work, a variable lookup, an escape and a filter
at a time. A row here is one f-string of escaped values, the same HTML the template wrote
(the standard library's escape, as Django's own does, without its check for lazy text).
What a row shows (queries._describe prepares it):

- the contract's name, linked to its request, its number, and when an open question was
  asked;
- its organization (else "Not given");
- when it was submitted and by whom;
- its age in business days;
- the step that matters now and its due date (overdue tagged), or "Nothing is due".
"""

from html import escape

from django.utils.safestring import SafeString, mark_safe

from muster.contracts.templatetags.muster_tags import status_tag

_OVERDUE = str(status_tag("step", "overdue"))


def _contract(row) -> str:
    contract = row.contract
    question = (f'<br><span class="font-body-2xs">Question asked {escape(row.question_text)}'
                "</span>" if row.question_asked_at else "")
    return (f'<a href="{escape(row.url)}">{escape(contract.name)}</a><br>'
            f'<span class="font-body-2xs">{escape(str(contract.contract_number))}</span>{question}')


def _submitted(row) -> str:
    if not row.submitted_at:
        return "—"
    by = (f'<br><span class="font-body-2xs">by {escape(row.submitted_by.full_name)}</span>'
          if row.submitted_by else "")
    return f"{escape(row.submitted_text)}{by}"


def _age(row) -> str:
    if row.age is None:
        return "—"
    return f"{row.age} business day{'' if row.age == 1 else 's'}"


def _due(row) -> str:
    if row.stopped:
        return "Nothing is due"
    overdue = f" {_OVERDUE}" if row.overdue else ""
    return f"{escape(row.step_name)}: {escape(row.due_text)}{overdue}"


def _row(row) -> str:
    organization = row.contract.organization
    return (
        "      <tr>\n"
        f'        <th scope="row" data-label="Contract">{_contract(row)}</th>\n'
        '        <td data-label="Organization">'
        f"{escape(organization.name) if organization and organization.name else 'Not given'}"
        "</td>\n"
        f'        <td data-label="Submitted">{_submitted(row)}</td>\n'
        f'        <td data-label="Age">{_age(row)}</td>\n'
        f'        <td data-label="Due">{_due(row)}</td>\n'
        "      </tr>\n"
    )


def queue_rows_html(rows) -> SafeString:
    """A section's table body rows, for rows as queries.review_queue describes them."""
    # Safe: every value in a row went through escape() or is a number or fixed text.
    return mark_safe("".join(_row(row) for row in rows))  # noqa: S308
