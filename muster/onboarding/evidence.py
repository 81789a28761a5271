"""A contract's timeline step completed by the onboarding action that is its evidence."""

from muster.contracts.models import Contract
from muster.timeline.services import complete_step


def complete_evidence(actor, contract: Contract, key: str, note: str) -> None:
    """Complete the contract's timeline step `key` with its evidence, if still open."""
    step = contract.steps.filter(key=key, completed_at__isnull=True).first()
    if step is not None:
        complete_step(actor, step, note)
