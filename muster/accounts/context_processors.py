from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from . import permissions

# The header's links: (label, url name, is-current test, the predicate that shows it, by
# its name in permissions.PREDICATES; None: every signed-in person).
HEADER_LINKS = [
    ("Home", "home", lambda m: m.url_name == "home", None),
    ("Contracts", "contracts:list", lambda m: m.app_name == "contracts", None),
    ("Review queue", "onboarding:queue", lambda m: m.url_name == "queue",
     "onboarding.see_review_queue"),
    ("Service decisions", "onboarding:decisions", lambda m: m.url_name == "decisions",
     "onboarding.see_service_decisions"),
    ("New solicitation", "onboarding:solicitation_new",
     lambda m: m.url_name == "solicitation_new", "onboarding.notify_solicitation"),
    ("Surveys", "onboarding:surveys", lambda m: m.url_name == "surveys",
     "onboarding.see_surveys"),
    ("Service requests", "access:service_requests",
     lambda m: m.url_name == "service_requests", "access.see_service_requests"),
    ("Access to confirm", "access:pending", lambda m: m.url_name == "pending",
     "access.see_access_to_confirm"),
    ("Outbox", "notifications:outbox", lambda m: m.url_name == "outbox",
     "notifications.see_outbox"),
    ("Accounts", "identity:people", lambda m: m.url_name in ("people", "people_csv"),
     "identity.see_accounts"),
    ("Sweeps", "closeout:sweeps", lambda m: m.url_name == "sweeps", "closeout.see_sweep_runs"),
    ("Administration", "admin:index", lambda m: False, "accounts.administer"),
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
        for label, url_name, is_current, predicate in HEADER_LINKS:
            if predicate is not None and not permissions.allows(user, predicate, None):
                continue
            url = reverse(url_name)
            current = match is not None and is_current(match)
            items.append({"label": label, "url": url, "current": current,
                          "page": current and url == request.path})
        return items

    return {"nav": SimpleLazyObject(build)}
