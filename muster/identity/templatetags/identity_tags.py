from django import template
from django.forms import BaseForm

from muster.forms import style_form

register = template.Library()


@register.filter
def uswds(form: BaseForm) -> BaseForm:
    """django-allauth's forms, dressed as Muster's: USWDS classes on every widget (the
    form then renders through Muster's form renderer)."""
    return style_form(form)
