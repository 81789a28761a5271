from django import template

from muster.timeline.models import Responsible

register = template.Library()
_LABELS = dict(Responsible.choices)


@register.filter
def responsible_labels(parties) -> str:
    """['cor', 'contractor'] → 'COR, Contractor'."""
    return ", ".join(_LABELS.get(p, p) for p in parties or [])
