"""Work items as HTML, written in Python: the rows of My work and the filtered list, and
what an item's page and panel show of its due date and assignee (the same functions).

Issue 17: the template engine spent most of My work's rendering on its 50 rows (a lookup,
an escape and an include at a time). Each piece here is an f-string of escaped values,
the HTML the templates wrote. What every row of a page shares (the forms' hidden fields,
the words of dates, the kinds' labels, addresses) is written once a page (`_Page`)."""

import datetime

from django.utils.safestring import SafeString, mark_safe

from muster import datewords, pagers
from muster.escaping import escape
from muster.reverse_once import Addresses

from .items import Kind, WorkItem

_DUE_TAGS = {"overdue": " bg-secondary-dark", "soon": " bg-gold text-ink", "later": " bg-green"}


class _Page:
    """What the rows of one page share, escaped once: the forms' hidden fields (`here`:
    the page the forms return to), each kind's key and label, the words of each date and
    of each repeated text (what items wait for, how they stand against their due date)."""

    def __init__(self, user_pk: int | None, here: str, csrf: str):
        self.user_pk = user_pk
        token = ("" if not csrf or csrf == "NOTPROVIDED"  # as {% csrf_token %} writes it
                 else f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf)}">')
        self.hidden = f'{token}<input type="hidden" name="next" value="{escape(here)}">'
        self.dates = datewords.current()
        self.links = Addresses()
        self._words: dict[str, str] = {}
        self._days: dict[datetime.date, str] = {}

    def words(self, text: str) -> str:
        """`text` escaped, once a page: for the few texts every row repeats."""
        found = self._words.get(text)
        if found is None:
            found = self._words[text] = escape(text)
        return found

    def weekday(self, day: datetime.date) -> str:
        found = self._days.get(day)
        if found is None:
            found = self._days[day] = self.dates.weekday(day)
        return found

    def kind(self, kind: Kind) -> tuple[str, str]:
        return self.words(kind.key), self.words(kind.label)


def _due(item: WorkItem, page: _Page) -> str:
    """The due date and where the item stands against it: the tag's colour is never the
    only sign (its text says it)."""
    day = f"{page.weekday(item.due)}<br>" if item.due else ""
    tag = _DUE_TAGS.get(item.due_state, " bg-base-dark")
    return f'{day}<span class="usa-tag{tag}">{page.words(item.due_text)}</span>\n'


def _controls(item: WorkItem, page: _Page) -> str:
    """Who works on the item and what this person may do about it (queries.offer decided)."""
    hidden = page.hidden
    spoken, mine = escape(item.spoken), item.assignee_id == page.user_pk
    who = (f"{escape(item.assignee_name)}{' (you)' if mine else ''}" if item.assignee_id
           else "Nobody yet")
    take = assign = unassign = ""
    if item.may_take:
        take = (f'<form method="post" action="{escape(item.take_url)}" class="margin-bottom-1">'
                f'{hidden}<button type="submit" class="usa-button usa-button--outline">'
                f'Take it<span class="usa-sr-only">: {spoken}</span></button></form>')
    if item.may_assign and item.candidates:
        field = f"assign-{page.words(item.kind.key)}-{item.pk}"
        assign = (
            f'<form method="post" action="{escape(item.assign_url)}" class="margin-bottom-1">'
            f"{hidden}\n"
            f'  <label class="usa-label margin-top-0" for="{field}">Assign to'
            f'<span class="usa-sr-only"> (the {spoken})</span></label>\n'
            f'  <select class="usa-select" id="{field}" name="assignee">\n'
            f"    {item.options}\n"  # safe HTML: queries._options escaped every value
            "  </select>\n"
            '  <button type="submit" class="usa-button usa-button--unstyled margin-top-1">'
            f'Assign<span class="usa-sr-only"> the {spoken}</span></button>\n'
            "</form>")
    if item.may_unassign:
        unassign = (f'<form method="post" action="{escape(item.unassign_url)}">{hidden}'
                    '<button type="submit" class="usa-button usa-button--unstyled">'
                    f"{'Give it back' if mine else 'Unassign'}"
                    f'<span class="usa-sr-only">: {spoken}</span></button></form>')
    return (f'\n<p class="margin-top-0 margin-bottom-1">{who}</p>\n'
            f"{take}\n{assign}\n{unassign}\n")


def _row(item: WorkItem, page: _Page) -> str:
    kind, contract = item.kind, item.contract
    key, label = page.kind(kind)
    link = escape(page.links("contracts:detail", contract.pk))  # Contract.get_absolute_url
    title = (f'<br><span class="font-body-2xs">{escape(item.title)}</span>'
             if item.title != kind.label else "")
    return (
        f'\n    <tr id="{key}-{item.pk}">\n'
        f'      <th scope="row" data-label="Item"><a href="{escape(item.url)}">'
        f"{label}</a>{title}</th>\n"
        f'      <td data-label="Contract"><a href="{link}">'
        f'{escape(contract.name)}</a><br><span class="font-body-2xs">'
        f"{escape(contract.contract_number)}</span></td>\n"
        f'      <td data-label="Waits for">{page.words(item.waits_on)}</td>\n'
        f'      <td data-label="Due">{_due(item, page)}</td>\n'
        f'      <td data-label="Age">{item.age} business day{"s" if item.age != 1 else ""}</td>\n'
        f'      <td data-label="Assigned to">{_controls(item, page)}</td>\n'
        "    </tr>\n  "
    )


def options(people: list[tuple[int, str]], selected: int | None,
            written: dict[int, str]) -> SafeString:
    """The assign form's <option>s: "Choose", then each person (the assignee selected).
    `written`: the people's (unselected) <option>s the page has written already."""
    for pk, name in people:
        if pk not in written:
            written[pk] = f'<option value="{int(pk)}">{escape(name)}</option>'
    return mark_safe(  # noqa: S308  (every name escaped, every id a number)
        '<option value="">Choose</option>' + "".join([
            f'<option value="{int(pk)}" selected>{escape(name)}</option>'
            if pk == selected else written[pk] for pk, name in people]))


# Safe: every value below went through escape() (or is queries._options' escaped HTML).
def due(item: WorkItem) -> SafeString:
    return mark_safe(_due(item, _Page(None, "", "")))  # noqa: S308


def controls(item: WorkItem, user_pk: int | None, here: str, csrf: str) -> SafeString:
    return mark_safe(_controls(item, _Page(user_pk, here, csrf)))  # noqa: S308


def item_rows(items: list[WorkItem], user_pk: int | None, here: str, csrf: str) -> SafeString:
    """The items table's body rows."""
    page = _Page(user_pk, here, csrf)
    return mark_safe("".join([_row(item, page) for item in items]))  # noqa: S308


def items_table(items: list[WorkItem], caption: str, user_pk: int | None, here: str,
                csrf: str) -> SafeString:
    """The table of work items (My work's two lists, the filtered list): kind, contract,
    what each waits on, due date, age, who works on it."""
    return mark_safe(  # noqa: S308
        '\n<table class="usa-table usa-table--borderless usa-table--stacked width-full">\n'
        f'  <caption class="usa-sr-only">{escape(caption)}: item, contract, what it waits '
        "for, due date, age in business days, who works on it</caption>\n"
        '  <thead><tr><th scope="col">Item</th><th scope="col">Contract</th>'
        '<th scope="col">Waits for</th><th scope="col">Due</th><th scope="col">Age</th>'
        '<th scope="col">Assigned to</th></tr></thead>\n'
        f"  <tbody>\n  {item_rows(items, user_pk, here, csrf)}\n  </tbody>\n</table>\n")


def _page_link(query, key: str, number: int) -> str:
    """{% querystring key=number %} as the template wrote it: the page's query string with
    `key` set, escaped."""
    params = query.copy()
    params[key] = number
    return escape(f"?{params.urlencode()}")


def pager(page, param: str, label: str, query) -> SafeString:
    """The pages of one list (work/_pager.html, which this replaced: some 400 Python
    calls a list, rendering an include and two {% querystring %}): `param` names its
    page number in the address ("mine", else "page"), `query` is the request's GET."""
    if page.paginator.num_pages <= 1:
        return mark_safe("\n\n")  # noqa: S308
    key = "mine" if param == "mine" else "page"
    drawn = pagers.nav(page, label, lambda number: _page_link(query, key, number))
    return mark_safe(f"\n\n{drawn}\n\n")  # noqa: S308 (the label and the addresses escaped)
