"""What work adds to the lower apps' pages (registered by WorkConfig.ready()): who works
on the item, with Take it, a choice of people and Unassign, where people already work:
the onboarding request's page, the additional-service request's page, the closeout page,
and each row of the access waiting for confirmation."""

from django.db.models import Prefetch, prefetch_related_objects

from muster.access.models import AccessGrant
from muster.accounts import permissions
from muster.contracts import panels

from . import queries
from .items import KINDS, Kind
from .models import Assignment

# The slots (the lower templates' `{% panel_slot %}` lines name them).
ONBOARDING_REQUEST = "onboarding.request"
SERVICE_REQUEST = "access.service_request"
CLOSEOUT = "closeout.page"
PENDING_GRANTS = "access.pending"
PENDING_GRANT = "access.pending_row"


def _assignment_panel(kind: Kind, user, obj, today) -> dict | None:
    """The item's assignee and this person's controls; None when the item is not open or
    the person does not see who works on it."""
    if obj is None or obj.status not in kind.statuses:
        return None
    if not permissions.may_see_work_item(user, obj):
        return None
    row = kind.open_rows().filter(pk=obj.pk).first()
    if row is None:
        return None
    item = kind.item(row, today)
    candidates = (queries.Candidates.load() if permissions.may_assign_work(user)
                  else queries.Candidates())
    queries.offer(user, [item], candidates)
    return {"item": item}


@panels.register(ONBOARDING_REQUEST, order=10, template="work/panels/assignment.html")
def onboarding_request_panel(user, onboarding, today):
    return _assignment_panel(KINDS["onboarding"], user, onboarding, today)


@panels.register(SERVICE_REQUEST, order=10, template="work/panels/assignment.html")
def service_request_panel(user, req, today):
    return _assignment_panel(KINDS["service-request"], user, req, today)


@panels.register(CLOSEOUT, order=10, template="work/panels/assignment.html")
def closeout_panel(user, closeout, today):
    return _assignment_panel(KINDS["closeout"], user, closeout, today)


@panels.register(PENDING_GRANTS, order=10, template="work/panels/pending.html")
def pending_grants_panel(user, page, today):
    """Above the access to confirm: how many of this page's grants are the person's and
    how many nobody has taken. It reads the page's assignments in one query and leaves
    them on the grants, so each row's panel reads none."""
    grants = [g for g in page if g.status in KINDS["grant"].statuses]
    if not grants or not permissions.may_see_my_work(user):
        return None
    prefetch_related_objects(grants, Prefetch(
        "work_assignment", queryset=Assignment.objects.select_related("assignee")))
    assignments = [_cached_assignment(g) for g in grants]
    return {"yours": sum(1 for a in assignments if a and a.assignee_id == user.pk),
            "nobodys": sum(1 for a in assignments if a is None)}


def _cached_assignment(grant) -> Assignment | None:
    try:
        return grant.work_assignment
    except Assignment.DoesNotExist:
        return None


@panels.register(PENDING_GRANT, order=10, template="work/panels/row.html")
def pending_grant_panel(user, grant, today):
    """A row of the access to confirm: who works on it, and a link to take or assign it.
    The list's panel (above) read the page's assignments; a row swapped in alone (htmx)
    reads its own."""
    kind = KINDS["grant"]
    if grant.status not in kind.statuses or not permissions.may_see_work_item(user, grant):
        return None
    if AccessGrant.work_assignment.is_cached(grant):
        assignment = _cached_assignment(grant)
        assignee_id, name = ((assignment.assignee_id, assignment.assignee.full_name)
                             if assignment else (None, ""))
    else:
        found = (Assignment.objects.filter(grant=grant)
                 .values_list("assignee_id", "assignee__full_name").first())
        assignee_id, name = found or (None, "")
    return {"kind": kind.key, "pk": grant.pk, "assignee_name": name,
            "is_me": assignee_id == user.pk,
            "may_take": permissions.may_work_on(user, grant),
            "label": f"{grant.user.full_name}'s {grant.service.name} access"}
