"""Addresses for a page of rows: reverse_once.address looks up the script prefix and the
URL configuration at every call (about 26 Python calls); a page's rows ask three
addresses each. `Links` asks it once a page per URL name, then puts each row's ids in.

(reverse_once.per_id does this for one id; an item's access page takes two.)"""

from collections.abc import Callable

from muster.reverse_once import address

# Put where a URL's ids go, then split on: no URL holds a NUL.
_MARK = "\x00"


def _pattern(name: str, ids: int) -> Callable[..., str]:
    """The URL `name` of `ids` ids, as a function of them."""
    parts = address(name, *[_MARK] * ids).split(_MARK)
    if ids == 1:
        head, tail = parts
        return lambda one: f"{head}{one}{tail}"
    return lambda *values: "".join(
        part + str(value) for part, value in zip(parts, values, strict=False)) + parts[-1]


class Links:
    """address(name, *ids), each name's parts looked up once (one Links a page)."""

    def __init__(self):
        self._patterns: dict[str, Callable[..., str]] = {}

    def __call__(self, name: str, *ids: int | str) -> str:
        pattern = self._patterns.get(name)
        if pattern is None:
            pattern = self._patterns[name] = _pattern(name, len(ids))
        return pattern(*ids)
