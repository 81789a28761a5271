"""The dashboard's tables' rows, written in Python (work/dashboard.html puts them in):
the template engine spent some 350 Python calls a row on its 30 rows (a lookup, a
localized number, an escape and a filter at a time). Each row here is an f-string of
escaped values, the HTML the template's loops wrote; a count is written as the template
writes a whole number (no thousands separator: USE_THOUSAND_SEPARATOR is off)."""

from typing import Any

from django.utils.safestring import SafeString, mark_safe

from muster.escaping import escape

_TAGS = {"overdue": " bg-secondary-dark", "this_week": " bg-gold text-ink", "later": " bg-green"}


def _tag(state: str, n: int) -> str:
    """A count's tag colour: its state's when there are any, grey when none."""
    return _TAGS[state] if n else " bg-base-dark"


def _aging(bucket: dict[str, Any], items: str) -> str:
    label, key = escape(bucket["label"]), escape(bucket["key"])
    return (
        "\n      <tr>\n"
        f'        <th scope="row" data-label="Open for">{label}</th>\n'
        f'        <td data-label="Items"><a href="{items}?age={key}">{bucket["total"]}'
        f'<span class="usa-sr-only"> items open {label}</span></a></td>\n'
        f'        <td data-label="Overdue"><a href="{items}?age={key}&amp;due=overdue">'
        f'<span class="usa-tag{_tag("overdue", bucket["overdue"])}">{bucket["overdue"]} overdue'
        "</span></a></td>\n"
        f'        <td data-label="Due this week"><a href="{items}?age={key}&amp;due=week">'
        f'<span class="usa-tag{_tag("this_week", bucket["this_week"])}">{bucket["this_week"]} '
        "due this week</span></a></td>\n"
        '        <td data-label="Due later or no date">'
        f'<span class="usa-tag{_tag("later", bucket["later"])}">{bucket["later"]} on track'
        "</span></td>\n"
        "      </tr>\n    ")


def _by_status(counts, items: str) -> str:
    kind = counts.kind
    label, key, plural = escape(kind.label), escape(kind.key), escape(kind.plural.lower())
    return "\n      " + "".join([
        "\n      <tr>\n"
        f'        <th scope="row" data-label="Kind">{label}</th>\n'
        f'        <td data-label="Waits for">{escape(waits)}</td>\n'
        f'        <td data-label="Items"><a href="{items}?kind={key}&amp;status={escape(value)}">'
        f'{n}<span class="usa-sr-only"> {plural} waiting for {escape(str(waits).lower())}'
        "</span></a></td>\n"
        "      </tr>\n      " for value, waits, n in counts.by_status]) + "\n    "


def _kind(counts, items: str) -> str:
    kind = counts.kind
    plural, key, lower = escape(kind.plural), escape(kind.key), escape(kind.plural.lower())
    link = f"{items}?kind={key}"
    return (
        "\n      <tr>\n"
        f'        <th scope="row" data-label="Kind">{plural}</th>\n'
        f'        <td data-label="Open"><a href="{link}">{counts.total}'
        f'<span class="usa-sr-only"> open {lower}</span></a></td>\n'
        f'        <td data-label="Overdue"><a href="{link}&amp;due=overdue">'
        f'<span class="usa-tag{_tag("overdue", counts.overdue)}">{counts.overdue} overdue'
        "</span></a></td>\n"
        f'        <td data-label="Due this week"><a href="{link}&amp;due=week">'
        f'<span class="usa-tag{_tag("this_week", counts.this_week)}">{counts.this_week} '
        "due this week</span></a></td>\n"
        f'        <td data-label="Not assigned"><a href="{link}&amp;assignee=none">'
        f'{counts.unassigned}<span class="usa-sr-only"> {lower} not assigned</span></a></td>\n'
        "      </tr>\n    ")


def _person(person: dict[str, Any], items: str) -> str:
    name = escape(person["name"])
    return (f'\n      <tr><th scope="row" data-label="Assigned to">{name}</th>'
            f'<td data-label="Open items"><a href="{items}?assignee={int(person["pk"])}">'
            f'{person["n"]}<span class="usa-sr-only"> items assigned to {name}</span></a>'
            "</td></tr>\n    ")


def _stage(value: str, label, n: int, contracts: str) -> str:
    return (f'\n      <tr><th scope="row" data-label="Stage">{escape(label)}</th>'
            f'<td data-label="Contracts"><a href="{contracts}?stage={escape(value)}">{n}'
            f'<span class="usa-sr-only"> contracts {escape(str(label).lower())}</span></a>'
            "</td></tr>\n    ")


def dashboard_tables(counts: dict[str, Any], items_url: str,
                     contracts_url: str) -> dict[str, SafeString]:
    """The rows of each of the dashboard's tables (queries.dashboard's `counts`), by name."""
    items, contracts = escape(items_url), escape(contracts_url)
    written = {
        "aging_rows": "".join([_aging(bucket, items) for bucket in counts["ages"]]),
        "status_rows": "".join([_by_status(kind, items) for kind in counts["kinds"]]),
        "kind_rows": "".join([_kind(kind, items) for kind in counts["kinds"]]),
        "people_rows": "".join([_person(person, items) for person in counts["people"]]),
        "stage_rows": "".join([_stage(value, label, n, contracts)
                              for value, label, n in counts["stages"]]),
    }
    # Safe: every value above went through escape(), or is a number.
    return {name: mark_safe(html) for name, html in written.items()}  # noqa: S308
