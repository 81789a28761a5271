"""Work items as HTML, written in Python: the rows of My work and the filtered list, and
what an item's page and panel show of its due date and assignee (the same functions).

Issue 17: the template engine spent most of My work's rendering on its 50 rows (a lookup,
an escape and an include at a time). Each piece here is an f-string of escaped values,
the HTML the templates wrote."""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from muster import datewords
from muster.reverse_once import address

from .items import WorkItem

_DUE_TAGS = {"overdue": " bg-secondary-dark", "soon": " bg-gold text-ink", "later": " bg-green"}


def _due(item: WorkItem) -> str:
    """The due date and where the item stands against it: the tag's colour is never the
    only sign (its text says it)."""
    day = f"{datewords.current().weekday(item.due)}<br>" if item.due else ""
    tag = _DUE_TAGS.get(item.due_state, " bg-base-dark")
    return f'{day}<span class="usa-tag{tag}">{escape(item.due_text)}</span>\n'


def _controls(item: WorkItem, user_pk: int | None, here: str, csrf: str) -> str:
    """Who works on the item and what this person may do about it (queries.offer decided);
    `here`: the page the forms return to."""
    token = ("" if not csrf or csrf == "NOTPROVIDED"  # as {% csrf_token %} writes it
             else f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf)}">')
    back = f'<input type="hidden" name="next" value="{escape(here)}">'
    spoken, mine = escape(item.spoken), item.assignee_id == user_pk
    who = (f"{escape(item.assignee_name)}{' (you)' if mine else ''}" if item.assignee_id
           else "Nobody yet")
    take = assign = unassign = ""
    if item.may_take:
        take = (f'<form method="post" action="{escape(item.take_url)}" class="margin-bottom-1">'
                f'{token}{back}<button type="submit" class="usa-button usa-button--outline">'
                f'Take it<span class="usa-sr-only">: {spoken}</span></button></form>')
    if item.may_assign and item.candidates:
        field = f"assign-{escape(item.kind.key)}-{item.pk}"
        assign = (
            f'<form method="post" action="{escape(item.assign_url)}" class="margin-bottom-1">'
            f"{token}{back}\n"
            f'  <label class="usa-label margin-top-0" for="{field}">Assign to'
            f'<span class="usa-sr-only"> (the {spoken})</span></label>\n'
            f'  <select class="usa-select" id="{field}" name="assignee">\n'
            f"    {item.options}\n"  # safe HTML: queries._options escaped every value
            "  </select>\n"
            '  <button type="submit" class="usa-button usa-button--unstyled margin-top-1">'
            f'Assign<span class="usa-sr-only"> the {spoken}</span></button>\n'
            "</form>")
    if item.may_unassign:
        unassign = (f'<form method="post" action="{escape(item.unassign_url)}">{token}{back}'
                    '<button type="submit" class="usa-button usa-button--unstyled">'
                    f"{'Give it back' if mine else 'Unassign'}"
                    f'<span class="usa-sr-only">: {spoken}</span></button></form>')
    return (f'\n<p class="margin-top-0 margin-bottom-1">{who}</p>\n'
            f"{take}\n{assign}\n{unassign}\n")


def _row(item: WorkItem, user_pk: int | None, here: str, csrf: str) -> str:
    kind, contract = item.kind, item.contract
    link = escape(address("contracts:detail", contract.pk))  # Contract.get_absolute_url
    title = (f'<br><span class="font-body-2xs">{escape(item.title)}</span>'
             if item.title != kind.label else "")
    return (
        f'\n    <tr id="{escape(kind.key)}-{item.pk}">\n'
        f'      <th scope="row" data-label="Item"><a href="{escape(item.url)}">'
        f"{escape(kind.label)}</a>{title}</th>\n"
        f'      <td data-label="Contract"><a href="{link}">'
        f'{escape(contract.name)}</a><br><span class="font-body-2xs">'
        f"{escape(contract.contract_number)}</span></td>\n"
        f'      <td data-label="Waits for">{escape(item.waits_on)}</td>\n'
        f'      <td data-label="Due">{_due(item)}</td>\n'
        f'      <td data-label="Age">{item.age} business day{"s" if item.age != 1 else ""}</td>\n'
        f'      <td data-label="Assigned to">{_controls(item, user_pk, here, csrf)}</td>\n'
        "    </tr>\n  "
    )


# Safe: every value below went through escape() (or is queries._options' escaped HTML).
def due(item: WorkItem) -> SafeString:
    return mark_safe(_due(item))  # noqa: S308


def controls(item: WorkItem, user_pk: int | None, here: str, csrf: str) -> SafeString:
    return mark_safe(_controls(item, user_pk, here, csrf))  # noqa: S308


def item_rows(items: list[WorkItem], user_pk: int | None, here: str, csrf: str) -> SafeString:
    """The items table's body rows (work/_items_table.html)."""
    return mark_safe("".join(_row(item, user_pk, here, csrf) for item in items))  # noqa: S308
