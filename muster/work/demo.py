"""The demo's share of the team's work: some open items given to each team member, some
left for someone to take, so My work and the dashboard tell a story from the first
sign-in. Called once at the end of the demo's loader (muster/demo/data.py)."""

from muster import clock
from muster.accounts.models import TeamRole, User

from . import services
from .items import KINDS
from .queries import Candidates

# Of every three open items, the demo leaves this many for someone to take.
LEFT_OPEN_EVERY = 3


def assign_demo_work() -> int:
    """Give the demo's open items out in turn among the people who may work each (the
    onboarding team and its lead; for grants and additional-service requests, also the
    leads of their service), the team lead giving them, through the services (audited,
    emailed); every third item stays unassigned. Returns how many were given."""
    lead = (User.objects.filter(team_roles__role=TeamRole.Role.TEAM_LEAD, is_active=True)
            .order_by("pk").first())
    if lead is None:
        return 0
    today = clock.today()
    people = {user.pk: user for user in User.objects.filter(
        team_roles__role__in=[TeamRole.Role.ONBOARDING_TEAM, TeamRole.Role.TEAM_LEAD,
                              TeamRole.Role.SERVICE_LEAD], is_active=True)}
    candidates = Candidates.load()
    given = 0
    turn = 0
    for kind in KINDS.values():
        for n, row in enumerate(kind.open_rows().filter(work_assignment__isnull=True)):
            if n % LEFT_OPEN_EVERY == LEFT_OPEN_EVERY - 1:
                continue
            choices = candidates.for_item(kind.item(row, today))
            if not choices:
                continue
            assignee = people[choices[turn % len(choices)][0]]
            turn += 1
            if assignee.pk == lead.pk:
                services.take(lead, kind, row)
            else:
                services.assign(lead, kind, row, assignee)
            given += 1
    return given
