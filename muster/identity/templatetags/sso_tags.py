from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def local_passwords_for_everyone() -> bool:
    """settings.LOCAL_PASSWORDS: off, the sign-in page puts the agency's button first and
    offers password sign-in to administrators only (muster/identity/sso.py)."""
    return bool(settings.LOCAL_PASSWORDS)
