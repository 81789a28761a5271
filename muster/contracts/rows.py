"""The rows of a contract list (contracts/_contract_table.html), written in Python.

Issue 17: the rows were a third of the contract list's work, about 650 function calls a
row in the template engine (a variable lookup, an escape and a filter at a time). Here a
row is one f-string of escaped values, the same HTML the template wrote. What a row shows:

- the contract's name, linked to its page, and its number;
- its organization (else "Not given yet" once awarded, "Not yet awarded" before);
- its stage; with `show_cor`, its COR's name (or "—");
- its next step: what, when (and whether it is overdue, and how many steps are), who.
"""

from django.utils.safestring import SafeString, mark_safe

from muster import datewords
from muster.escaping import escape
from muster.reverse_once import per_id_escaped

from .models import Stage
from .templatetags.muster_tags import responsible_labels

STAGES = dict(Stage.choices)


def _next_step(contract: dict, dates: datewords.DateWords) -> str:
    if not contract["next_step_name"]:
        return '<span class="text-base-dark">No open step</span>'
    overdue = ""
    if contract["is_overdue"]:
        count = contract["overdue_count"]
        steps = f" ({count} steps)" if count is not None and count > 1 else ""
        overdue = f' — <span class="text-bold text-secondary-dark">overdue{steps}</span>'
    due = dates.weekday(contract["next_step_due"]) if contract["next_step_due"] else ""
    return (f'<span class="text-bold">{escape(contract["next_step_name"])}</span><br>\n'
            f"due {escape(due)}{overdue}<br>\n"
            f'<span class="text-base-dark">'
            f'{escape(responsible_labels(contract["next_step_responsible"]))}</span>')


def _row(contract: dict, url: str, show_cor: bool, dates: datewords.DateWords) -> str:
    organization: str
    if contract["organization__name"] is not None:
        organization = escape(contract["organization__name"])
    else:
        organization = "Not given yet" if contract["award_date"] else "Not yet awarded"
    stage = escape(STAGES.get(contract["stage"], contract["stage"]))
    cor = (f'\n      <td data-label="COR">{escape(contract["cor_name"] or "—")}</td>'
           if show_cor else "")
    return (
        "    <tr>\n"
        f'      <th scope="row" data-label="Contract"><a href="{url}">'
        f'{escape(contract["name"])}</a><br>'
        f'<span class="text-base-dark">{escape(contract["contract_number"])}</span></th>\n'
        f'      <td data-label="Organization">{organization}</td>\n'
        f'      <td data-label="Stage">{stage}</td>{cor}\n'
        f'      <td data-label="Next step">{_next_step(contract, dates)}</td>\n'
        "    </tr>\n"
    )


def contract_rows(contracts: list[dict], show_cor: bool = False) -> SafeString:
    """The table body's rows for contracts as contracts.queries.ROW_VALUES reads them (and
    `cor_name` with `show_cor`), each linked to its page. Every value is escaped."""
    # Safe: every value in a row went through escape() (_row, _next_step); the address
    # is escaped once, its id is a number.
    dates, url = datewords.current(), per_id_escaped("contracts:detail")
    return mark_safe(  # noqa: S308
        "".join(_row(contract, url(contract["pk"]), show_cor, dates) for contract in contracts))
