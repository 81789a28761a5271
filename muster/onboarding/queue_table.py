"""The review queue's sections and their table rows (onboarding/review/queue.html), written
in Python.

Issue 17: the default queue shows 150 rows (six sections of 25); drawn by the template
engine they were about half of the page's work, a variable lookup, an escape and a filter
at a time, and the six sections around them a fifth of what was left. A row here is one
f-string of escaped values, the same HTML the template wrote (the standard library's
escape, as Django's own does, without its check for lazy text). A section: its heading
with its count, its hint, its table (or "None right now"), then either its pages and the
way back to every section (a section shown alone) or the link to all of it (when it shows
only its oldest). What a row shows (queries.QueueRow):

- the contract's name, linked to its request, its number, and when an open question was
  asked;
- its organization (else "Not given");
- when it was submitted and by whom;
- its age in business days;
- the step that matters now and its due date (overdue tagged), or "Nothing is due".
"""

import functools

from django.utils.safestring import SafeString, mark_safe

from muster import reverse_once
from muster.contracts.templatetags.muster_tags import status_tag
from muster.escaping import escape

_OVERDUE = str(status_tag("step", "overdue"))


class QueueTable:
    """Writes the queue's sections (queries.review_queue) for the filter `shown`: the
    address of a request and the page's repeated texts (150 rows, about 20 distinct dates)
    are escaped once."""

    def __init__(self, shown: str, section_shown: int):
        self._address = reverse_once.per_id_escaped("onboarding:request")
        self._text = functools.cache(escape)
        self._section_shown = section_shown
        queue = escape(reverse_once.address("onboarding:queue"))
        self._every, self._shown = f"{queue}?show={escape(shown)}", f"?show={escape(shown)}"

    def sections_html(self, sections: list[dict]) -> SafeString:
        # Safe: every value went through escape() or is a number or fixed text.
        return mark_safe("".join(self._section(section) for section in sections))  # noqa: S308

    def _section(self, section: dict) -> str:
        anchor, title = escape(section["anchor"]), self._text(section["title"])
        rows, count = section["rows"], section["count"]
        if rows:
            shown = (f'\n  <table class="usa-table usa-table--borderless usa-table--stacked'
                     ' width-full">\n'
                     f'    <caption class="usa-sr-only">{title}: contract, organization, when'
                     " submitted, age and the due date</caption>\n"
                     '    <thead><tr><th scope="col">Contract</th><th scope="col">Organization'
                     '</th><th scope="col">Submitted</th><th scope="col">Age</th>'
                     '<th scope="col">Due</th></tr></thead>\n'
                     "    <tbody>\n"
                     f"{''.join(self._row(row) for row in rows)}    </tbody>\n"
                     "  </table>\n"
                     f"  {self._more(section)}\n  ")
        else:
            shown = '\n  <p class="text-base-dark">None right now.</p>\n  '
        return (f'\n<section aria-labelledby="{anchor}" class="margin-top-4">\n'
                f'  <h2 id="{anchor}">{title} <span class="usa-tag">{count}</span></h2>\n'
                f"  <p>{self._text(section['hint'])}</p>\n"
                f"  {shown}\n</section>\n")

    def _more(self, section: dict) -> str:
        """A section's pages and the way back to every section, or the link to all of it."""
        page, status = section["page"], escape(section["status"])
        here = f"{self._shown}&amp;section={status}&amp;page="
        if page:
            pages = ""
            if page.has_other_pages():
                previous = (f' <a href="{here}{page.previous_page_number()}">Previous page</a>'
                            if page.has_previous() else "")
                following = (f' <a href="{here}{page.next_page_number()}">Next page</a>'
                             if page.has_next() else "")
                pages = (f"<p>Page {page.number} of {page.paginator.num_pages}."
                         f"{previous}{following}</p>")
            return f'{pages}\n  <p><a href="{self._every}">Back to every section</a></p>\n  '
        count = section["count"]
        if count > len(section["rows"]):
            return (f"<p>The {self._section_shown} oldest of {count}. <a href="
                    f'"{self._every}&amp;section={status}">Show all {count} '
                    f"{escape(section['title'].lower())}</a></p>")
        return ""

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
