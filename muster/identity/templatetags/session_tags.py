"""{% session_warning %}: the idle-session warning (muster/static/session-warning.js) for a
signed-in person, with how long their session has left. Written in Python: every page
draws it, and as an inclusion tag it cost about 600 Python calls a page (issue 17);
tests/test_layout_html.py holds it to the template it replaced, byte for byte."""

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.utils.safestring import SafeString, mark_safe

from muster.escaping import escape
from muster.identity import sessions
from muster.reverse_once import Addresses

register = template.Library()


@register.simple_tag(takes_context=True)
def session_warning(context) -> SafeString:
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        return mark_safe("")
    url = Addresses()
    idle = sessions.idle_seconds()
    # The server notes activity at most this often: the page checks a little early.
    slack = int(min(60.0, idle / 10)) + 1
    return mark_safe(  # noqa: S308  (numbers, and addresses escaped)
        '\n\n<div id="session-warning" class="usa-alert usa-alert--warning position-fixed '
        'pin-top pin-x z-top margin-2 shadow-3 bg-white maxw-tablet margin-x-auto" '
        'role="alertdialog" aria-labelledby="session-warning-heading" '
        'aria-describedby="session-warning-text" tabindex="-1" hidden\n'
        f'     data-seconds-left="{sessions.seconds_left(request.session)}" '
        f'data-idle-seconds="{int(idle)}" '
        f'data-warning-seconds="{settings.SESSION_WARNING_SECONDS}" '
        f'data-slack-seconds="{slack}"\n'
        f'     data-status-url="{escape(url("identity:session_status"))}" '
        f'data-keep-alive-url="{escape(url("identity:keep_alive"))}">\n'
        '  <div class="usa-alert__body">\n'
        '    <h2 class="usa-alert__heading" id="session-warning-heading">Your session is about '
        "to end</h2>\n"
        '    <p class="usa-alert__text" id="session-warning-text">You have not used Muster for '
        "a while. For your security you will be signed out in <span data-countdown>a few "
        "minutes</span>; anything not saved will be lost.</p>\n"
        '    <div class="usa-button-group margin-top-1">\n'
        '      <button type="button" class="usa-button" data-stay>Stay signed in</button>\n'
        "      \n"
        '      <button type="submit" form="sign-out-form" class="usa-button '
        'usa-button--outline">Sign out</button>\n'
        "    </div>\n  </div>\n</div>\n"
        f'<script src="{escape(static("session-warning.js"))}" defer></script>\n\n'
    )
