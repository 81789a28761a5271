import datetime

from django import template
from django.utils.functional import Promise
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from muster import datewords, pagers, reverse_once
from muster.accounts import permissions
from muster.escaping import escape
from muster.timeline.models import Responsible

from .. import party_cells as cells
from ..service_rows import service_rows as _service_rows

register = template.Library()
_LABELS = dict(Responsible.choices)


@register.simple_tag
def address(name: str, *ids) -> str:
    """{% address 'onboarding:request' contract.pk %}: what {% url %} writes for a URL of
    ids (or of none), reversed once per process (muster/reverse_once.py): about 50 Python
    calls against 130. For the pages everyone opens (the contract page, My work)."""
    return reverse_once.address(name, *ids)


@register.simple_tag(takes_context=True)
def pagination(context) -> SafeString:
    """{% pagination %}: the pager of the list page `page` (a Django Page) with the list's
    filters `query` (a query string, or none), as includes/pagination.html wrote it: some
    250 Python calls a list against 30."""
    page, query = context.get("page"), context.get("query")
    pages = getattr(getattr(page, "paginator", None), "num_pages", 0)
    if not isinstance(pages, int) or pages <= 1:
        return mark_safe("\n")  # noqa: S308
    before = f"?{_html(query)}&amp;page=" if query else "?page="
    drawn = pagers.nav(page, "Pagination", lambda number: f"{before}{number}")
    return mark_safe(f"\n{drawn}\n\n")  # noqa: S308 (the query escaped; numbers are numbers)


@register.filter
def service_rows(services) -> SafeString:
    """{{ services|service_rows }}: the contract page's rows of its services."""
    return _service_rows(services)


# Django's `date` filter parses its format for every value (about 130 Python calls a date);
# these write its three most used formats with muster/datewords.py (about 25). As the
# filter, they write nothing for no date, nor for a value that is not one.
@register.filter(expects_localtime=True)
def short_date(value) -> str:
    """{{ day|short_date }}: as {{ day|date:"M j, Y" }}, "Dec 1, 2026"."""
    return _in_words(datewords.DateWords.day, value)


@register.filter(expects_localtime=True)
def full_date(value) -> str:
    """{{ day|full_date }}: as {{ day|date:"F j, Y" }}, "December 1, 2026"."""
    return _in_words(datewords.DateWords.full_day, value)


@register.filter(expects_localtime=True)
def full_weekday_date(value) -> str:
    """{{ day|full_weekday_date }}: as {{ day|date:"l, F j, Y" }}, "Tuesday, December 1,
    2026"."""
    return _in_words(datewords.DateWords.full_weekday, value)


def _in_words(write, value) -> str:
    if not isinstance(value, datetime.date):
        return ""
    return write(datewords.current(), value)


@register.filter
def party_cells(party) -> SafeString:
    """{{ party|party_cells }}: a parties table's row, from `<tr>` to its EUA check."""
    return cells.party_cells(party)


@register.filter
def responsible_labels(parties) -> str:
    """['cor', 'contractor'] → 'COR, Contractor'."""
    return ", ".join(_LABELS.get(p, p) for p in parties or [])


@register.simple_tag(takes_context=True)
def may(context, name: str, obj) -> bool:
    """{% may "onboarding.review" contract as may_review %}: whether the signed-in person
    may, as `accounts.permissions.allows` decides (an Action on a contract, or a named
    predicate on its object). Pages ask this instead of views passing `can_*` flags."""
    return permissions.allows(context["request"].user, name, obj)


@register.simple_tag
def breadcrumbs(*trail) -> SafeString:
    """{% breadcrumbs "Contracts" "contracts:list" contract.name contract.get_absolute_url "Edit" %}

    Label and link pairs, then the current page's label. A link is a path ("/…") or a
    URL name without arguments. Written here, not by a template: every page shows them,
    and an inclusion tag renders a template in a new context (300 calls against 40)."""
    *pairs, current = trail
    links = "".join(
        '<li class="usa-breadcrumb__list-item"><a class="usa-breadcrumb__link" '
        f'href="{_html(_link(target))}"><span>{_html(label)}</span></a></li>\n  '
        for label, target in zip(pairs[::2], pairs[1::2], strict=True))
    return mark_safe(  # noqa: S308 (every value escaped by _html)
        '<nav class="usa-breadcrumb" aria-label="Breadcrumbs"><ol class="usa-breadcrumb__list">'
        f'\n  {links}<li class="usa-breadcrumb__list-item usa-current" aria-current="page">'
        f"<span>{_html(current)}</span></li>\n</ol></nav>\n")


def _link(target) -> str:
    return target if str(target).startswith("/") else reverse_once.address(target)


def _html(value) -> str:
    """As {{ value }} writes it: escaped, unless marked safe (conditional_escape, with
    muster/escaping.py's escape)."""
    if isinstance(value, Promise):
        value = str(value)
    return value.__html__() if hasattr(value, "__html__") else escape(value)


# The one mapping from a status to its USWDS tag colour, for every page that shows a
# stage, status or state as a tag. Keys are (kind, value); a status not listed shows
# USWDS's plain tag. Colours are USWDS tokens with AA contrast (white on the dark ones,
# ink on gold).
_DONE, _PROBLEM, _SOON, _QUIET = "bg-green", "bg-secondary-dark", "bg-gold text-ink", "bg-base-dark"
STATUS_TAG_STYLES = {
    ("step", "done"): _DONE,
    ("step", "overdue"): _PROBLEM,
    ("step", "due"): _SOON,
    ("step", "not_yet_due"): _QUIET,
    ("step", "unscheduled"): _QUIET,
    ("step", "cancelled"): _QUIET,
    ("grant", "active"): _DONE,
    ("grant", "requested"): _SOON,
    ("grant", "paused"): _PROBLEM,
    ("grant", "revoked"): _QUIET,
    ("email", "sent"): _DONE,
    ("email", "failed"): _PROBLEM,
    ("email", "pending"): _QUIET,
    ("email", "sending"): _QUIET,
    ("dua", "valid"): _DONE,
    ("dua", "expiring soon"): _SOON,
    ("dua", "not needed"): _QUIET,
    ("dua", "missing"): _PROBLEM,
    ("dua", "invalid"): _PROBLEM,
    ("dua", "expired"): _PROBLEM,
    ("dua", "not in effect yet"): _PROBLEM,
    ("sweep", "unfinished"): _PROBLEM,
}
# Where a tag says something other than the status's display name.
STATUS_TAG_LABELS = {
    ("step", "done"): "✓ Done",
    ("step", "overdue"): "Overdue",
    ("step", "due"): "Due soon",
    ("step", "not_yet_due"): "Not yet due",
    ("step", "unscheduled"): "Date not set",
    ("step", "cancelled"): "Cancelled",
    ("email", "failed"): "Not sent",
    ("email", "sending"): "Waiting to be sent",
}


@register.simple_tag
def status_tag(kind, value, label="", id=""):
    """{% status_tag "grant" g.status g.get_status_display %}: a USWDS tag for a status.

    Built here rather than by including a template: pages show it on every row (a
    roster page 75 times), and an inclusion tag renders a template with a new context
    each time."""
    return status_tag_html(STATUS_TAG_STYLES.get((kind, value), ""),
                           STATUS_TAG_LABELS.get((kind, value), label), id)


def status_tag_html(style: str, label, id="") -> SafeString:
    """A USWDS tag's markup (`<span class="usa-tag …">`), its label and id escaped as
    format_html would (_html), for a fifth of its calls: pages show a tag on every row."""
    style = f" {style}" if style else ""
    id = f' id="{_html(id)}"' if id else ""
    # SafeString itself, not mark_safe and its wrapper for lazy strings: a contract page
    # draws a tag on each of its steps.
    return SafeString(f'<span class="usa-tag{style}"{id}>{_html(label)}</span>')


def csrf_input(token) -> str:
    """The hidden input {% csrf_token %} writes for the page's token ("" for none), for
    rows written in Python."""
    if not token or token == "NOTPROVIDED":
        return ""
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{conditional_escape(token)}">'
