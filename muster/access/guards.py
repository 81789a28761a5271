"""The refusals the roster's actions share (adding people, granting and confirming access,
importing a file): the access app's errors and the checks that raise them."""

from muster import clock
from muster.catalog.models import Service
from muster.contracts.models import Contract, Stage
from muster.errors import DomainError
from muster.onboarding.models import STOPPED as ONBOARDING_STOPPED
from muster.onboarding.models import OnboardingRequest
from muster.onboarding.models import Status as OnboardingStatus

from .dua import valid_dua

DUA_REFUSAL = "You cannot grant {service} while the contract's Data Use Agreement is not valid."


class AccessError(DomainError):
    """A roster action that is not allowed now; the message tells the person why."""


class InvalidMember(AccessError):
    """A new roster member's details do not pass; `errors` maps each field to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__(" ".join(m for msgs in errors.values() for m in msgs))


def roster_open(contract: Contract) -> None:
    """Refuse a change to a closed contract's roster, or a withdrawn re-award's."""
    if contract.stage == Stage.CLOSED:
        raise AccessError("This contract is closed: its roster can no longer change.")
    if contract.stage == Stage.WITHDRAWN:
        raise AccessError("This re-award was undone: the contract record is withdrawn, and "
                          "its roster can no longer change.")


def onboarding_stands(contract: Contract) -> None:
    """A withdrawn, cancelled or rejected onboarding request grants nothing, even where its
    service leads had already approved a service: it no longer stands until reopened."""
    request = OnboardingRequest.objects.filter(contract=contract).only("status").first()
    if request is None or request.status not in ONBOARDING_STOPPED:
        return
    until = "" if request.status == OnboardingStatus.REJECTED else (
        " until the onboarding team reopens it")
    raise AccessError(f"This contract's onboarding request was {request.status} "
                      f"({request.get_status_display()}): no access can be granted{until}.")


def dua_covers(contract: Contract, service: Service, refusal: str = DUA_REFUSAL) -> None:
    """Refuse (`refusal`, naming the service) a service that needs a DUA the contract does
    not hold, valid today."""
    if service.requires_dua and valid_dua(contract, clock.today(), service) is None:
        raise AccessError(refusal.format(service=service.name))
