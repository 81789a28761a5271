"""{% panel_slot "slot.name" obj %}: the panels apps above registered for a slot of a lower
app's page (muster/contracts/panels.py), rendered in place. One line in the lower
template, nothing in its view: the page's app still imports nothing above it."""

from django import template
from django.utils.safestring import SafeString

from muster import clock
from muster.contracts import panels

register = template.Library()


@register.simple_tag(takes_context=True)
def panel_slot(context, slot: str, obj) -> str:
    request = context.get("request")
    if request is None or obj is None:
        return ""
    engine = context.template.engine
    html = SafeString("")
    for shown in panels.shown(slot, request.user, obj, clock.today()):
        with context.push(panel=shown.context):
            html += engine.get_template(shown.template).render(context)  # autoescaped: safe
    return html
