"""{% help_contact_items %}: the footer's help contacts as list items, written in Python and
drawn once for each reading of the contacts (context_processors.footer_contacts keeps one
reading a minute): every page shows them, and the template's loop cost about 700 Python
calls a page (issue 17). tests/test_layout_html.py holds it to that loop, byte for byte."""

from django import template
from django.utils.safestring import SafeString, mark_safe

from muster.escaping import escape

register = template.Library()

# (the contacts list drawn, its items); the list is the same object until it is read again.
_drawn: tuple[list, SafeString] | None = None


def _item(contact) -> str:
    phone = escape(contact.phone)
    email = escape(contact.email)
    return (
        f'\n          <li class="margin-bottom-1"><strong>{escape(contact.title)}</strong> — '
        f"{escape(contact.audience)}"
        + (f'; phone <a href="tel:{phone}">{phone}</a>' if contact.phone else "")
        + (f'; email <a href="mailto:{email}">{email}</a>' if contact.email else "")
        + (f"; Slack {escape(contact.slack_channel)}" if contact.slack_channel else "")
        + "</li>\n          "
    )


@register.simple_tag(takes_context=True)
def help_contact_items(context) -> SafeString:
    """The contacts of the context's `help_contacts` (the context processor's, a function);
    none where it is absent, as on an error page drawn without the request's context."""
    global _drawn
    contacts = context.get("help_contacts")
    if callable(contacts):
        contacts = contacts()
    if not contacts:
        return mark_safe("")
    drawn = _drawn
    if drawn is not None and drawn[0] is contacts:
        return drawn[1]
    items = mark_safe("".join(_item(contact) for contact in contacts))  # noqa: S308 (escaped)
    if isinstance(contacts, list):
        _drawn = (contacts, items)
    return items
