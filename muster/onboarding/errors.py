"""Onboarding's refusals: what every onboarding module raises when an action is not
possible now (a role that may not act raises `muster.errors.NotAllowed` instead)."""

from muster import workflow
from muster.errors import DomainError


class OnboardingError(DomainError):
    """An onboarding action that is not allowed now; the message tells the person why."""


STALE_MESSAGE = (
    "Someone else changed this request while you had it open. Your change was not saved: "
    "look at the request as it is now and try again."
)


class StaleRequest(OnboardingError, workflow.StaleChange):
    """Someone else changed the request since the person loaded it (what `workflow.locked`
    raises for a request): an onboarding refusal, and a stale change as in every app."""


def stale() -> StaleRequest:
    return StaleRequest(STALE_MESSAGE)
