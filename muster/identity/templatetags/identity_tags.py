from django import template
from django.forms import BaseForm
from django.utils.safestring import SafeString

from muster.forms import style_form

from .. import panels

register = template.Library()


@register.filter
def uswds(form: BaseForm) -> BaseForm:
    """django-allauth's forms, dressed as Muster's: USWDS classes on every widget (the
    form then renders through Muster's form renderer)."""
    return style_form(form)


@register.simple_tag(takes_context=True)
def party_rows(context, panel) -> SafeString:
    """{% party_rows panel %}: the rows of the contract page's table of its people with
    their accounts (identity.panels.party_rows), with the page's CSRF token, each form
    coming back to the page."""
    return panels.party_rows(panel["rows"], context.get("csrf_token"),
                             context["request"].get_full_path())
