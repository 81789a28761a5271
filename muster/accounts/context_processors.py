"""The header's navigation: at most six items at the top, the rest in groups.

USWDS's header shows a group as a button that opens its submenu; that needs JavaScript
(the submenu is `hidden` until uswds.js toggles it). So a group is served as a link to the
menu page (/menu/#menu-<group>), which lists every link the person may use, grouped; with
JavaScript on, muster.js turns that link into USWDS's button before uswds.js starts, and
the submenu opens in place. Either way every link is reachable by keyboard.
"""

from typing import Any, NamedTuple

from django.utils.functional import SimpleLazyObject

from muster.remembered import Remembered
from muster.reverse_once import Addresses, address

from . import permissions


class Link(NamedTuple):
    label: str
    url_name: str
    # Whether the request's resolver match is this link's section.
    is_current: Any
    # The predicate that shows it, by its name in permissions.PREDICATES; None: every
    # signed-in person.
    predicate: str | None
    # The group it sits in (a key of GROUPS); None: at the top.
    group: str | None = None


def _view(*names):
    return lambda m: m.view_name in names


def _app(name):
    return lambda m: m.app_name == name


# The groups, in the order they appear after the top-level links.
GROUPS = {
    "requests": "Requests",
    "reports": "Reports",
    "administration": "Administration",
}

HEADER_LINKS = [
    # The team's home is My work (muster/work/views.home): one link, not two to one page.
    Link("Home", "home", _view("home"), "home.shows_contracts"),
    Link("My work", "home", _view("home", "work:mine"), "home.shows_my_work"),
    Link("My work", "work:mine", _view("work:mine"), "work.see_my_work_beside_home"),
    Link("Contracts", "contracts:list", _app("contracts"), None),
    Link("Review queue", "onboarding:queue", _view("onboarding:queue"),
         "onboarding.see_review_queue", "requests"),
    Link("Service decisions", "onboarding:decisions", _view("onboarding:decisions"),
         "onboarding.see_service_decisions", "requests"),
    Link("Service requests", "access:service_requests", _view("access:service_requests"),
         "access.see_service_requests", "requests"),
    Link("Access to confirm", "access:pending", _view("access:pending"),
         "access.see_access_to_confirm", "requests"),
    Link("New solicitation", "onboarding:solicitation_new",
         _view("onboarding:solicitation_new"), "onboarding.notify_solicitation", "requests"),
    Link("Dashboard", "work:dashboard", _view("work:dashboard"), "work.see_dashboard",
         "reports"),
    Link("Metrics", "reports:metrics", _app("reports"), "reports.see_metrics", "reports"),
    Link("Surveys", "onboarding:surveys", _view("onboarding:surveys"),
         "onboarding.see_surveys", "reports"),
    Link("Reconciliation", "reconciliation:findings", _app("reconciliation"),
         "reconciliation.see", "reports"),
    Link("Accounts", "identity:people", _view("identity:people", "identity:people_csv"),
         "identity.see_accounts", "administration"),
    Link("Outbox", "notifications:outbox", _view("notifications:outbox"),
         "notifications.see_outbox", "administration"),
    Link("Sweeps", "closeout:sweeps", _view("closeout:sweeps"), "closeout.see_sweep_runs",
         "administration"),
    Link("Provisioning clients", "api_pages:clients", _view(
        "api_pages:clients", "api_pages:new_client", "api_pages:revoke_client"),
         "api.manage_provisioning_clients", "administration"),
    Link("Webhooks", "webhooks:endpoints", _app("webhooks"), "webhooks.manage",
         "administration"),
    Link("Recertification", "recertification:campaigns", _view(
        "recertification:campaigns", "recertification:campaign_new",
        "recertification:campaign"), "recertification.run", "administration"),
    Link("Site administration", "admin:index", lambda m: False, "accounts.administer",
         "administration"),
]
MAX_TOP_LEVEL = 6


# The links each set of roles may use, with their addresses: worked out once a process per
# set (permissions.header_key) and script prefix. The header draws them on every page, and
# asking twenty predicates cost about 300 Python calls a page (issue 17).
_ALLOWED: Remembered[list[tuple[Link, str]]] = Remembered(most=256)


def _allowed(user) -> list[tuple[Link, str]]:
    address_of = Addresses()  # the script prefix and URL configuration looked up once
    return _ALLOWED.get((permissions.header_key(user), address_of.where), lambda: [
        (link, address_of(link.url_name)) for link in HEADER_LINKS
        if link.predicate is None or permissions.allows(user, link.predicate, None)])


def links_for(user, match=None, path: str = "") -> list[dict]:
    """Every link the person may use, in order, as {label, url, current, page, group}."""
    if user is None or not user.is_authenticated:
        return []
    links = []
    for link, url in _allowed(user):
        current = match is not None and link.is_current(match)
        links.append({"label": link.label, "url": url, "current": current,
                      "page": current and url == path, "group": link.group})
    return links


def grouped(links: list[dict]) -> list[dict]:
    """The top level: plain links, then one entry per group with its links. A group with
    one link for this person is shown as that link."""
    top = [dict(link, links=None) for link in links if link["group"] is None]
    menu = address("menu")
    for key, label in GROUPS.items():
        members = [link for link in links if link["group"] == key]
        if len(members) == 1:
            top.append(dict(members[0], links=None))
        elif members:
            top.append({
                "label": label, "key": key, "id": f"nav-{key}", "links": members,
                "url": f"{menu}#menu-{key}",
                "current": any(link["current"] for link in members), "page": False,
            })
    return top


def navigation(request):
    """The header's items for this person: links and groups ({label, url, current, page,
    links}; `links` is None for a plain link).

    Computed only when a template asks, so pages without a header run no queries.
    """
    # A request refused before the authentication middleware ran (a Host not in
    # ALLOWED_HOSTS) has no user; its error page still shows the site's header.
    user = getattr(request, "user", None)

    def build():
        match = getattr(request, "resolver_match", None)
        return grouped(links_for(user, match, request.path))

    return {"nav": SimpleLazyObject(build)}
