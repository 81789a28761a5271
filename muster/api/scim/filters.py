"""The `filter` query parameter (RFC 7644 §3.4.2.2): the one equality Muster answers.

Only `<attribute> eq "<text>"` on the attributes a resource type lists below: what
identity systems send to find a person or a group before they act on it. Anything else
(another operator, `and`/`or`, another attribute, a value that is not text) is refused
with scimType invalidFilter, rather than answered with a guess. scim2-models parses the
expression; this module only decides what it means here.
"""

from dataclasses import dataclass

from django.db.models import Q
from scim2_models import InvalidFilterException, ScimFilter
from scim2_models.path import CompareOperator, Comparison


@dataclass(frozen=True)
class Filterable:
    """An attribute that can be filtered on: the lookup that compares it (None: no
    resource has a value for it, so nothing matches)."""

    name: str
    lookup: str | None


def _refused(detail: str) -> InvalidFilterException:
    return InvalidFilterException(detail=detail)


def to_q(text: str, core_urn: str, attributes: list[Filterable]) -> Q:
    """The query condition `text` stands for on a resource type whose core schema is
    `core_urn`; raises InvalidFilterException for anything else."""
    supported = " or ".join(f'{a.name} eq "…"' for a in attributes)
    try:
        node = ScimFilter(text).ast
    except InvalidFilterException as exc:
        raise _refused(f"This filter cannot be read ({exc.detail}). Muster answers "
                       f"{supported}.") from exc
    if not isinstance(node, Comparison) or node.op != CompareOperator.eq:
        raise _refused(f"Muster answers only {supported}.")
    path = node.attr_path
    wanted = next((a for a in attributes if a.name.lower() == path.attr.lower()), None)
    if (wanted is None or path.sub_attr is not None
            or (path.uri is not None and path.uri.lower() != core_urn.lower())):
        raise _refused(f"Muster cannot filter on {text.split(' ', 1)[0]}: it answers only "
                       f"{supported}.")
    if not isinstance(node.value, str):
        raise _refused(f"{wanted.name} is compared with text in quotes: {wanted.name} eq "
                       '"…".')
    if wanted.lookup is None:
        return Q(pk__in=[])
    return Q(**{wanted.lookup: node.value})
