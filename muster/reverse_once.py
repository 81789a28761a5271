"""URLs that differ only in their last id, reversed once for a whole page of rows."""

from collections.abc import Callable

from django.urls import reverse

_MARK = 2147483647  # an id no row has: the URL is reversed once, then each row's id put in


def per_id(name: str, *args) -> Callable[[int], str]:
    """`per_id("contracts:step_complete", contract.pk)(step.pk)`: the URL `name` of `args`
    and any last id. Reversing it for each row costs a hundred calls or more; this, one
    f-string."""
    head, tail = reverse(name, args=[*args, _MARK]).rsplit(str(_MARK), 1)
    return lambda pk: f"{head}{pk}{tail}"
