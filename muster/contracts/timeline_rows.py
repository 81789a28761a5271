"""The rows of the contract page's timeline tables (contracts/detail.html), written in Python.

Issue 17: drawn by the template engine, a step's row cost about 400 function calls (a
variable lookup, an escape and a tag at a time; a contract has 13 steps and more). Here a
row is one f-string of escaped values, the same HTML the template wrote. A row shows:

- the phase's name, on its first step;
- the step and what shows it is done;
- its due date ("Not set") and the rule that gives it, or for a done step whether it had
  a due date when it was done (a done step keeps its date while the milestones move on);
- who is responsible;
- its state's tag; when it was done, by whom and with what note, or for whoever may
  complete steps the "Mark done" form of an open step.
"""

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from muster import datewords
from muster.escaping import escape

from .templatetags.muster_tags import csrf_input, responsible_labels, status_tag


def _done(step, dates: datewords.DateWords, tz) -> str:
    done: str = escape(dates.day(timezone.localtime(step.completed_at, tz)))
    if step.completed_by:
        done = f"{done} by {escape(step.completed_by.full_name)}"
    if step.completion_note:
        done = f"{done}: {escape(step.completion_note)}"
    return f'\n          <br><span class="font-body-2xs">{done}</span>\n          '


def _form(step, complete_url: str, csrf: str) -> str:
    name = escape(step.name)
    return (
        '\n          \n          <details class="margin-top-1"><summary>Mark done</summary>\n'
        f'            <form method="post" action="{escape(complete_url)}">{csrf}\n'
        f'              <label class="usa-label" for="note-{step.pk}">Evidence or note for '
        f"“{name}”</label>\n"
        f'              <textarea class="usa-textarea" id="note-{step.pk}" name="note" '
        'rows="2" required maxlength="2000"></textarea>\n'
        '              <button class="usa-button usa-button--secondary margin-top-1" '
        f'type="submit">Mark “{name}” done</button>\n'
        "            </form>\n"
        "          </details>\n          ")


def _row(step, phase: str, dates: datewords.DateWords, tz, complete_url, form: bool,
         csrf: str) -> str:
    """A step's row (its `current_state` set: timeline.queries.timeline); `tz`: the
    current time zone, looked up once for the table."""
    due = escape(dates.weekday(step.due_date)) if step.due_date else "Not set"
    if step.completed_at:
        note = "The due date when it was done" if step.due_date else ""
        last = _done(step, dates, tz)
    else:
        note = escape(step.due_rule)
        last = (_form(step, complete_url(step.pk), csrf)
                if form and not step.cancelled_at else "\n          ")
    return (
        f'\n      <tr id="step-{step.pk}">\n'
        f'        <td data-label="Phase">{phase}</td>\n'
        f'        <th scope="row" data-label="Step">{escape(step.name)}<br>'
        f'<span class="text-base-dark font-body-2xs">Done when: {escape(step.evidence)}</span>'
        "</th>\n"
        f'        <td data-label="Due">{due}<br>'
        f'<span class="text-base-dark font-body-2xs">{note}</span></td>\n'
        f'        <td data-label="Responsible">{escape(responsible_labels(step.responsible))}'
        "</td>\n"
        f'        <td data-label="State">{status_tag("step", step.current_state)}{last}\n'
        "        </td>\n"
        "      </tr>\n    ")


def timeline_rows(process, complete_url, may_complete: bool, csrf_token) -> SafeString:
    """The rows of one process's table (a timeline.queries.ProcessTimeline), phase by phase;
    for whoever `may_complete` steps, each open step's "Mark done" form, posting to
    `complete_url(step.pk)` with the page's `csrf_token`. Every value is escaped."""
    dates, csrf = datewords.current(), csrf_input(csrf_token)
    tz = timezone.get_current_timezone()
    return mark_safe(  # noqa: S308 (every value escaped in _row)
        "".join(_row(step, escape(phase.name) if n == 0 else "", dates, tz, complete_url,
                     may_complete, csrf)
                for phase in process.phases for n, step in enumerate(phase.steps)))
