"""What the onboarding team records after the end: the removal of access confirmed (the
timeline's last step) and the data archive."""

from django.db import transaction

from muster import clock, workflow
from muster.accounts.permissions import Action
from muster.audit import services as audit

from .models import Closeout
from .queries import removal_done_by_carry_over
from .rules import CloseoutError
from .steps import REMOVE_ACCESS_STEP, complete_open


@transaction.atomic
def confirm_removal(actor, closeout: Closeout, note: str = "") -> Closeout:
    """The onboarding team confirms the removal of access (the timeline's last step)."""
    closeout = workflow.locked(closeout, related=["contract"])
    contract = closeout.contract
    workflow.require(actor, Action.CONFIRM_REMOVAL, contract)
    if closeout.status not in (Closeout.Status.ACCESS_REMOVED, Closeout.Status.CARRIED_OVER):
        raise CloseoutError("Access is removed on the last day of performance; confirm it then.")
    if closeout.removal_confirmed_at is not None:
        raise CloseoutError("The removal of access was already confirmed.")
    if removal_done_by_carry_over(closeout):
        raise CloseoutError(f"Nothing to confirm: access carried over to {closeout.successor} "
                            "and “Contract removed from services” is done with that evidence.")
    closeout.removal_confirmed_by, closeout.removal_confirmed_at = actor, clock.now()
    closeout.save(update_fields=["removal_confirmed_by", "removal_confirmed_at"])
    complete_open(actor, contract, REMOVE_ACCESS_STEP,
                  note or "Removal of access confirmed by the onboarding team.")
    audit.record(actor, "closeout.removal_confirmed", closeout, "Confirmed removal of access",
                 contract=contract)
    return closeout


@transaction.atomic
def record_archive(actor, closeout: Closeout, note: str) -> Closeout:
    closeout = workflow.locked(closeout, related=["contract"])
    workflow.require(actor, Action.CONFIRM_REMOVAL, closeout.contract)
    if not closeout.scenario:
        # What to archive comes with the COR's scenario: nothing to record before it.
        raise CloseoutError("The data archive is recorded once the COR has chosen the "
                            "closeout scenario, which says what data to archive.")
    if not note.strip():
        raise CloseoutError("Say what was archived and where.")
    closeout.data_archived_by, closeout.data_archived_at = actor, clock.now()
    closeout.archive_note = note.strip()
    closeout.save(update_fields=["data_archived_by", "data_archived_at", "archive_note"])
    audit.record(actor, "closeout.data_archived", closeout, "Recorded the data archive",
                 contract=closeout.contract, after={"note": closeout.archive_note})
    return closeout
