from django import template
from django.urls import reverse

from muster.timeline.models import Responsible

register = template.Library()
_LABELS = dict(Responsible.choices)


@register.filter
def responsible_labels(parties) -> str:
    """['cor', 'contractor'] → 'COR, Contractor'."""
    return ", ".join(_LABELS.get(p, p) for p in parties or [])


@register.inclusion_tag("includes/breadcrumbs.html")
def breadcrumbs(*trail):
    """{% breadcrumbs "Contracts" "contracts:list" contract.name contract.get_absolute_url "Edit" %}

    Label and link pairs, then the current page's label. A link is a path ("/…") or a
    URL name without arguments.
    """
    *pairs, current = trail
    links = [(label, target if str(target).startswith("/") else reverse(target))
             for label, target in zip(pairs[::2], pairs[1::2], strict=True)]
    return {"links": links, "current": current}
