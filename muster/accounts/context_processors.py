from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from . import permissions
from .models import ContractRole


def _may_see_service_requests(user, roles):
    if roles & (permissions.WHOLE_TEAM | {permissions.SERVICE_LEAD}):
        return True
    return ContractRole.objects.filter(
        user=user, role__in=permissions.CONTRACT_PARTIES).exists()


def _header_links(user):
    """(label, url name, is-current test, shown) for every link the header may offer."""
    roles = permissions.team_roles(user)
    outbox_roles = bool(roles & {permissions.ONBOARDING_TEAM, permissions.ADMINISTRATOR})
    return [
        ("Home", "home", lambda m: m.url_name == "home", True),
        ("Contracts", "contracts:list", lambda m: m.app_name == "contracts", True),
        ("Review queue", "onboarding:queue", lambda m: m.url_name == "queue",
         bool(roles & {permissions.ONBOARDING_TEAM, permissions.TEAM_LEAD,
                       permissions.ADMINISTRATOR})),
        ("Service decisions", "onboarding:decisions", lambda m: m.url_name == "decisions",
         permissions.SERVICE_LEAD in roles),
        ("New solicitation", "onboarding:solicitation_new",
         lambda m: m.url_name == "solicitation_new",
         permissions.may_notify_solicitation(user)),
        ("Surveys", "onboarding:surveys", lambda m: m.url_name == "surveys",
         bool(roles & permissions.RULES[permissions.Action.VIEW_SURVEY])),
        ("Service requests", "access:service_requests",
         lambda m: m.url_name == "service_requests",
         lambda: _may_see_service_requests(user, roles)),
        ("Access to confirm", "access:pending", lambda m: m.url_name == "pending",
         bool(roles & {permissions.ONBOARDING_TEAM, permissions.SERVICE_LEAD})),
        ("Outbox", "notifications:outbox", lambda m: m.url_name == "outbox", outbox_roles),
        ("Sweeps", "closeout:sweeps", lambda m: m.url_name == "sweeps", outbox_roles),
        ("Administration", "admin:index", lambda m: False, user.is_staff),
    ]


def navigation(request):
    """The header's links for this person, as one list of {label, url, current}.

    Computed only when a template asks, so pages without a header run no queries.
    """
    # A request refused before the authentication middleware ran (a Host not in
    # ALLOWED_HOSTS) has no user; its error page still shows the site's header.
    user = getattr(request, "user", None)

    def build():
        if user is None or not user.is_authenticated:
            return []
        match = getattr(request, "resolver_match", None)
        items = []
        for label, url_name, is_current, shown in _header_links(user):
            if callable(shown):
                shown = shown()
            if not shown:
                continue
            url = reverse(url_name)
            current = match is not None and is_current(match)
            items.append({"label": label, "url": url, "current": current,
                          "page": current and url == request.path})
        return items

    return {"nav": SimpleLazyObject(build)}
