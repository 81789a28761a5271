"""What closeout refuses because of where a contract or its closeout stands (its stage, its
status, the day), whoever asks: the reasons pages show and services raise. Who may act at
all is accounts.permissions' decision."""

import datetime

from muster.contracts.models import Contract, Stage
from muster.errors import DomainError

from .models import Closeout, Scenario
from .queries import current_closeout


class CloseoutError(DomainError):
    """A closeout action that is not allowed now; the message says why."""


FINISHED = "This closeout is finished; its scenario cannot change."
NOT_OPEN = "The closeout opens 60 days before the end of performance."
CARRIED_OVER = "Access was already carried over to the new record: the re-award stays."


def choosing_refused(contract: Contract) -> str:
    """Why the COR cannot choose (or change) the scenario now, or "" when they can."""
    closeout = current_closeout(contract)
    if closeout is not None and closeout.status == Closeout.Status.CARRIED_OVER:
        return (f"Access carried over to the new contract record {closeout.successor} at the "
                "end of performance: the closeout scenario cannot be chosen or changed now.")
    if contract.stage == Stage.CLOSED or (
        closeout is not None and closeout.status == Closeout.Status.ACCESS_REMOVED
    ):
        return ("Access was already removed at the end of performance: the closeout "
                "scenario cannot be chosen or changed now.")
    if closeout is None or contract.stage != Stage.CLOSING:
        return ("The closeout opens 60 days before the end of the period of performance, "
                "with the closeout notice.")
    return ""


def undo_refused(closeout: Closeout | None, today: datetime.date) -> str:
    """Why the team cannot undo this closeout's re-award now, or "" when it can."""
    if closeout is None or closeout.scenario != Scenario.REAWARD_INCUMBENT \
            or closeout.successor_id is None:
        return "There is no re-award to undo: no new contract record was made."
    if closeout.status != Closeout.Status.SCENARIO_CHOSEN:
        return CARRIED_OVER
    if closeout.contract.pop_end is None or today >= closeout.contract.pop_end:
        return ("A re-award is undone only before the end of performance, when access "
                "carries over to the new record.")
    return ""


def new_contract_refused(closeout: Closeout) -> str:
    """Why the new contractor's contract cannot be started from this closeout, or ""."""
    if closeout.scenario != Scenario.OTHER_CONTRACTOR:
        return ("A new contractor's contract starts from the scenario “Awarded to another "
                "contractor”.")
    if closeout.successor_id is not None:
        return f"The new contractor's contract was already started: {closeout.successor}."
    return ""


def scenario_locked(closeout: Closeout, scenario: int) -> str:
    """A re-award's new record exists: its scenario stays until the team undoes it."""
    if closeout.successor_id is None or scenario == closeout.scenario \
            or closeout.scenario is None:
        return ""
    return (f"A new contract record ({closeout.successor}) was already made for the "
            f"“{Scenario(closeout.scenario).label}” scenario; the scenario cannot change now. "
            "The onboarding team can undo the re-award before the end of performance: "
            "ask them.")
