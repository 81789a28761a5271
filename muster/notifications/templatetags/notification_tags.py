from django import template

from muster.notifications import queries

register = template.Library()


@register.simple_tag
def unread_notifications(user) -> int:
    """How many of the person's notifications they have not marked as read (the header's
    count): one query, whatever the number of emails."""
    if user is None or not user.is_authenticated:
        return 0
    # Asked by the header and by the list's page: counted once per request.
    if not hasattr(user, "_muster_unread"):
        user._muster_unread = queries.unread_count(user)
    return user._muster_unread
