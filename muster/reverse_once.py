"""URLs reversed once per process, then each row's ids put in.

Reversing a URL costs about 50 to 100 Python calls; pages of rows reversed several a row
(My work's 50 rows three each, the roster's 50 rows and their grants, the contract page's
parties and steps) and every page's header twenty links (issue 17). A URL is reversed once
per script prefix and URL configuration (which a deployment or a test may set) with marks
in place of its ids, and split there; a row's URL is its parts and its ids joined.
"""

from collections.abc import Callable

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

from muster.escaping import escape

# Ids no row has: the URL is reversed with these, then split where they stand.
_MARKS = (2_147_483_647, 2_147_483_646, 2_147_483_645)
_parts: dict[tuple[str, str, str, int], list[str]] = {}


def _where() -> tuple[str, str]:
    """The script prefix and URL configuration a URL is reversed under."""
    return get_script_prefix(), str(get_urlconf() or settings.ROOT_URLCONF)


def _parts_of(name: str, ids: int, where: tuple[str, str] | None = None) -> list[str]:
    key = (*(where or _where()), name, ids)
    parts = _parts.get(key)
    if parts is None:
        parts, rest = [], reverse(name, args=_MARKS[:ids])
        for mark in _MARKS[:ids]:
            head, rest = rest.split(str(mark), 1)
            parts.append(head)
        parts = _parts[key] = [*parts, rest]
    return parts


def address(name: str, *args: int | str) -> str:
    """reverse(name, args=args), for ids and slugs (that need no quoting)."""
    parts = _parts_of(name, len(args))
    return "".join(part + str(arg) for part, arg in zip(parts, args, strict=False)) + parts[-1]


class Addresses:
    """address(name, *ids) for a page of rows or a page's layout: the script prefix and URL
    configuration looked up once (address looks them up at every call), each name's parts
    once a page."""

    def __init__(self):
        self.where = _where()
        self._parts: dict[tuple[str, int], list[str]] = {}

    def __call__(self, name: str, *ids: int | str) -> str:
        key = (name, len(ids))
        parts = self._parts.get(key)
        if parts is None:
            parts = self._parts[key] = _parts_of(name, len(ids), self.where)
        if len(ids) == 1:  # most rows' addresses: one f-string
            return f"{parts[0]}{ids[0]}{parts[1]}"
        if not ids:  # the layout's
            return parts[0]
        return "".join(part + str(i) for part, i in zip(parts, ids, strict=False)) + parts[-1]


def _head_and_tail(name: str, args: tuple) -> tuple[str, str]:
    """The URL `name` of `args` and a last id: what comes before the id, and after."""
    parts = _parts_of(name, len(args) + 1)
    head = "".join(part + str(arg) for part, arg in zip(parts, args, strict=False)) + parts[-2]
    return head, parts[-1]


def per_id(name: str, *args: int | str) -> Callable[[int], str]:
    """`per_id("contracts:step_complete", contract.pk)(step.pk)`: the URL `name` of `args`
    and any last id, for a page's rows: one f-string a row."""
    head, tail = _head_and_tail(name, args)
    return lambda pk: f"{head}{pk}{tail}"


def per_id_escaped(name: str, *args: int | str) -> Callable[[int], str]:
    """per_id's URLs escaped for HTML (an attribute's value), for rows written in Python:
    the fixed parts escaped once (an id needs no escaping)."""
    head, tail = map(escape, _head_and_tail(name, args))
    return lambda pk: f"{head}{pk}{tail}"
