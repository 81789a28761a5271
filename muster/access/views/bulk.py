"""Several grants at once (muster/access/bulk.py): the team and service leads confirm the
selected rows of the access waiting for confirmation; the SO revokes the selected grants of
the roster. A plain form of checkboxes (no JavaScript needed), POST only, CSRF-checked;
each grant goes through the single action's service, and the page the person returns to
shows what was done and what was refused, grant by grant, with the reason."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from muster.accounts import permissions
from muster.accounts.permissions import Action
from muster.actions import next_url

from .. import bulk
from ..guards import AccessError

# --- Several grants at once: the same service per grant, and a summary of each ---------
# The summary waits in the session for the page the person returns to (a POST redirects:
# reloading the list never sends the action again), which shows it once.
CONFIRMED_SUMMARY, REVOKED_SUMMARY = "access.bulk_confirmed", "access.bulk_revoked"


def _in_bulk(request, key: str, verb: str, run, back: str,
             extra: dict | None = None) -> HttpResponse:
    """Parse the selected grants (`grant`, many), run the action on each (`run(ids)`), keep
    the summary under `key`, and return to the page the person acted from (`next`)."""
    back = next_url(request, back)
    try:
        ids = bulk.selected_ids(request.POST.getlist("grant"))
    except AccessError as error:  # none, too many, not ids: nothing was done
        messages.error(request, str(error))
        return redirect(back)
    request.session[key] = {**bulk.summary(verb, run(ids)), **(extra or {})}
    return redirect(back)


def bulk_summary(request, key: str, **belongs) -> dict | None:
    """The summary of the bulk action just taken, once (None: there is none, or it is
    about another page than the one `belongs` names, e.g. contract=pk)."""
    found = request.session.pop(key, None)
    if found is None or any(found.get(k) != v for k, v in belongs.items()):
        return None
    return found


@require_POST
def confirm_grants(request):
    """Confirm the selected grants waiting for confirmation (the pending list's form)."""
    if not permissions.may_see_access_to_confirm(request.user):
        raise PermissionDenied("Only the onboarding team and service leads confirm access.")
    return _in_bulk(request, CONFIRMED_SUMMARY, "Confirmed",
                    lambda ids: bulk.confirm_many(request.user, ids), reverse("access:pending"))


@require_POST
def revoke_grants(request, pk):
    """The SO revokes the selected grants of the contract's roster."""
    contract = permissions.contract_for(request.user, pk, Action.MANAGE_ROSTER)
    return _in_bulk(request, REVOKED_SUMMARY, "Revoked",
                    lambda ids: bulk.revoke_many(request.user, contract, ids),
                    reverse("access:roster", args=[contract.pk]), {"contract": contract.pk})
