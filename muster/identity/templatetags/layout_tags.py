"""The layout's signed-in parts, written in Python: `{% account_bar %}` (the bar above the
header: who is signed in, their account's pages, sign out) and `{% site_header %}` (the
logo, the primary navigation and the search box), and `{% header_search %}` (that search
box, which the menu page repeats).

Every page draws them. As template text their variables, `{% if %}`s and include cost
about 2,000 Python calls a page, a sixth of a contract list's (issue 17); here they cost
a few dozen. tests/test_layout_html.py holds each to the template text it replaced, byte
for byte, and holds a name or address with markup to be read as text.
"""

from django import template
from django.templatetags.static import StaticNode, static
from django.utils.safestring import SafeString, mark_safe

from muster.accounts.templatetags.navigation_tags import primary_navigation
from muster.contracts.templatetags.muster_tags import csrf_input
from muster.escaping import escape
from muster.notifications.templatetags.notification_tags import unread_notifications
from muster.reverse_once import Addresses

register = template.Library()


def _view_name(context) -> str | None:
    match = getattr(context.get("request"), "resolver_match", None)
    return match.view_name if match is not None else None


def _current(view_name: str | None, name: str) -> str:
    return ' aria-current="page"' if view_name == name else ""


def _notifications_label(unread: int) -> str:
    if not unread:
        return "Notifications"
    return (
        f'<span class="usa-sr-only">Notifications, {unread} unread</span>'
        f'<span aria-hidden="true">Notifications <span class="muster-unread">{unread} '
        f"unread</span></span>"
    )


@register.simple_tag(takes_context=True)
def account_bar(context) -> SafeString:
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return mark_safe("")
    url = Addresses()
    view_name = _view_name(context)
    label = _notifications_label(unread_notifications(user))
    # Every name, address and token is escaped as it is written.
    return mark_safe(  # noqa: S308
        f'\n  <div class="muster-account-bar font-body-2xs bg-base-lightest border-bottom-1px '
        f'border-base-lighter">\n    <div class="grid-container muster-account">\n'
        f"      <span>Signed in as {escape(str(user.full_name))}</span>\n"
        f'      <nav aria-label="Your account" class="muster-account__links">\n'
        f'        <a href="{escape(url("access:mine"))}">My access</a>\n'
        f'        <a href="{escape(url("notifications:mine"))}"'
        f"{_current(view_name, 'notifications:mine')}>{label}</a>\n"
        f'        <a href="{escape(url("closeout:calendar"))}">Calendar</a>\n'
        f'        <a href="{escape(url("mfa_index"))}">Second factor</a>\n'
        f'        <a href="{escape(url("api_pages:tokens"))}"'
        f"{_current(view_name, 'api_pages:tokens')}>API tokens</a>\n"
        f'        <a href="{escape(url("api_pages:docs"))}"'
        f"{_current(view_name, 'api_pages:docs')}>API</a>\n"
        f"      </nav>\n"
        f'      <form id="sign-out-form" method="post" action="{escape(url("account_logout"))}" '
        f'class="display-inline">{csrf_input(context.get("csrf_token"))}\n'
        f'        <button type="submit" class="usa-button usa-button--unstyled">Sign out'
        f"</button>\n      </form>\n    </div>\n  </div>\n  "
    )


def _search_form(field_id: str, label: str) -> str:
    field_id, icon = escape(field_id), escape(static("uswds/img/usa-icons-bg/search--white.svg"))
    return (
        f'\n\n<form class="usa-search usa-search--small muster-header-search" role="search" '
        f'aria-label="{escape(label)}" method="get" '
        f'action="{escape(Addresses()("search:results"))}">\n'
        f'  <label class="usa-sr-only" for="{field_id}">Search contracts, people and requests'
        f"</label>\n"
        f'  <input class="usa-input" id="{field_id}" type="search" name="q" maxlength="100">\n'
        f'  <button class="usa-button" type="submit"><img src="{icon}" '
        f'class="usa-search__submit-icon" alt="Search"></button>\n</form>\n\n'
    )


@register.simple_tag
def header_search(field_id: str = "header-search-q", label: str = "Search Muster") -> SafeString:
    """The header's one search box (muster/search): a labelled search landmark. The menu page
    repeats it with its own id and label."""
    return mark_safe(_search_form(field_id, label))  # noqa: S308  (escaped in _search_form)


@register.simple_tag(takes_context=True)
def site_header(context) -> SafeString:
    """The logo; for a signed-in person the small screen's Menu link, the primary navigation
    (at most six items at the top, the rest in USWDS menus: accounts/context_processors.py)
    and the search box. Without JavaScript a group, and Menu, is a link to the menu page
    listing every link; muster.js makes each the USWDS button (data-nav-button) before
    uswds.js starts, and the menu opens in place."""
    url = Addresses()
    user = context.get("user")
    signed_in = user is not None and user.is_authenticated
    menu = (
        f'<a class="usa-menu-btn" href="{escape(url("menu"))}" data-nav-button>Menu</a>'
        if signed_in
        else ""
    )
    nav = ""
    if signed_in:
        close = escape(static("uswds/img/usa-icons/close.svg"))
        nav = (
            f'\n      <nav aria-label="Primary navigation" class="usa-nav">\n'
            f'        <button type="button" class="usa-nav__close"><img src="{close}" '
            f'role="img" alt="Close"></button>\n'
            f'        <ul class="usa-nav__primary usa-accordion">\n'
            f"          {primary_navigation(context)}\n        </ul>\n"
            f"        {_search_form('header-search-q', 'Search Muster')}\n      </nav>\n      "
        )
    return mark_safe(  # noqa: S308  (every address escaped; the navigation escapes its own)
        f'<header class="usa-header usa-header--basic">\n    <div class="usa-nav-container">\n'
        f'      <div class="usa-navbar">\n'
        f'        <div class="usa-logo"><em class="usa-logo__text"><a href="{escape(url("home"))}"'
        f' title="Muster home">Muster</a></em></div>\n'
        f"        {menu}\n      </div>\n      {nav}\n    </div>\n  </header>"
    )


# --- {% once %}: the layout's fixed parts, drawn once a process ---------------------------


class OnceNode(template.Node):
    """Text and `{% static %}` addresses that are the same on every page and for everyone:
    drawn the first time, then kept with the compiled template (the cached loader keeps it
    for the process; the manifest's addresses do not change under it). Nine `{% static %}`
    tags of the layout cost about 330 Python calls a page (issue 17)."""

    # Nothing inside to find ({% extends %} walks a layout's nodes for its blocks on every
    # page): only text and static addresses.
    child_nodelists = ()

    def __init__(self, nodelist: template.NodeList):
        self.nodelist = nodelist
        self.html: SafeString | None = None

    def render(self, context) -> SafeString:
        if self.html is None:
            self.html = mark_safe(self.nodelist.render(context))  # noqa: S308 (template text)
        return self.html


def _fixed(node) -> bool:
    """Text, or `{% static 'a/quoted/path' %}` written into the page (not `as` a variable)."""
    if isinstance(node, template.base.TextNode):
        return True
    return (isinstance(node, StaticNode) and node.varname is None and not node.path.filters
            and isinstance(node.path.var, str))


@register.tag
def once(parser, token) -> OnceNode:
    """{% once %}…{% endonce %}: its text, drawn once a process. It holds only text and
    static addresses with a quoted path: a variable inside would show one person's page to
    everyone, so anything else is refused when the template is read."""
    nodelist = parser.parse(("endonce",))
    parser.delete_first_token()
    for node in nodelist:
        if not _fixed(node):
            raise template.TemplateSyntaxError(
                "{% once %} holds only text and {% static 'path' %}, not "
                f"{node.token.contents if node.token else type(node).__name__!r}")
    return OnceNode(nodelist)
