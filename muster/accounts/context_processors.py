from django.utils.functional import SimpleLazyObject

from . import permissions
from .models import ContractRole


def navigation(request):
    """What the header offers this person (computed only when a template asks)."""
    # A request refused before the authentication middleware ran (a Host not in
    # ALLOWED_HOSTS) has no user; its error page still shows the site's header.
    user = getattr(request, "user", None)

    def build():
        if user is None or not user.is_authenticated:
            return {}
        roles = permissions.team_roles(user)
        return {
            "queue": bool(roles & {permissions.ONBOARDING_TEAM, permissions.TEAM_LEAD,
                                   permissions.ADMINISTRATOR}),
            "decisions": permissions.SERVICE_LEAD in roles,
            "solicitation": permissions.may_notify_solicitation(user),
            "surveys": bool(roles & permissions.RULES[permissions.Action.VIEW_SURVEY]),
            "outbox": bool(roles & {permissions.ONBOARDING_TEAM, permissions.ADMINISTRATOR}),
            "pending_access": bool(roles & {permissions.ONBOARDING_TEAM,
                                            permissions.SERVICE_LEAD}),
            "service_requests": bool(roles & (permissions.WHOLE_TEAM | {permissions.SERVICE_LEAD}))
            or ContractRole.objects.filter(user=user, role__in=permissions.CONTRACT_PARTIES)
            .exists(),
        }

    return {"nav": SimpleLazyObject(build)}
