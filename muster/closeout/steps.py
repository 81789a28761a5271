"""The timeline steps closeout completes and reopens: the notice going out, the COR's
scenario, and the onboarding team's confirmation that access is removed."""

from muster.audit import services as audit
from muster.contracts.models import Contract
from muster.timeline.models import ContractStep
from muster.timeline.services import complete_step, next_step_kept

NOTICE_STEP = "closeout-notice"
SCENARIO_STEP = "closeout-scenario"
REMOVE_ACCESS_STEP = "remove-access"
# A new contractor's contract (scenario 2) starts with these onboarding steps done: its
# solicitation is the old contract's.
NEW_CONTRACT_DONE_STEPS = ("notify-solicitation", "identify-requirements", "notify-award")


def complete_open(actor, contract: Contract, key: str, note: str) -> None:
    """Complete the contract's step `key` with `note`, unless it is done already."""
    step = contract.steps.filter(key=key, completed_at__isnull=True).first()
    if step is not None:
        complete_step(actor, step, note)


def reopen(actor, contract: Contract, keys: list[str], reason: str) -> None:
    """Make the contract's done steps `keys` open again, each on the audit record."""
    with next_step_kept(contract):  # the reopened steps may be the next one
        steps = list(ContractStep.objects.filter(contract=contract, key__in=keys,
                                                 completed_at__isnull=False))
        ContractStep.objects.filter(pk__in=[s.pk for s in steps]).update(
            completed_at=None, completed_by=None, completion_note=""
        )
    for step in steps:
        audit.record(actor, "timeline.step_reopened", step, f"Reopened “{step.name}”: {reason}",
                     contract=contract,
                     before={"completed_at": step.completed_at, "note": step.completion_note},
                     after={"reason": reason})
