from django.utils.functional import SimpleLazyObject

from . import permissions


def navigation(request):
    """What the header offers this person (computed only when a template asks)."""
    user = request.user

    def build():
        if not user.is_authenticated:
            return {}
        roles = permissions.team_roles(user)
        return {
            "queue": bool(roles & {permissions.ONBOARDING_TEAM, permissions.TEAM_LEAD,
                                   permissions.ADMINISTRATOR}),
            "decisions": permissions.SERVICE_LEAD in roles,
            "solicitation": permissions.may_notify_solicitation(user),
            "surveys": bool(roles & permissions.RULES[permissions.Action.VIEW_SURVEY]),
            "outbox": bool(roles & {permissions.ONBOARDING_TEAM, permissions.ADMINISTRATOR}),
        }

    return {"nav": SimpleLazyObject(build)}
