"""{% session_warning %}: the idle-session warning (muster/static/session-warning.js) for a
signed-in person, with how long their session has left."""

from django import template
from django.conf import settings

from muster.identity import sessions

register = template.Library()


@register.inclusion_tag("identity/session_warning.html", takes_context=True)
def session_warning(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        return {"show": False}
    return {
        "show": True,
        "seconds_left": sessions.seconds_left(request.session),
        "idle_seconds": int(sessions.idle_seconds()),
        "warning_seconds": settings.SESSION_WARNING_SECONDS,
        # The server notes activity at most this often: check a little early.
        "slack_seconds": int(min(60.0, sessions.idle_seconds() / 10)) + 1,
    }
