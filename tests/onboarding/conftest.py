"""Fixtures the onboarding tests share."""

import pytest

from muster.contracts.models import Contract, ContractService, Stage
from muster.onboarding.models import OnboardingRequest, Status


@pytest.fixture
def approved(people):
    """`mine` with its services decided (approved) and its request approved, in stage
    onboarding: the welcome package can go to the SO. A test module that needs more
    services decided overrides this fixture with one that adds them."""
    mine = people["mine"]
    mine.services.update(status=ContractService.Status.APPROVED)
    OnboardingRequest.objects.create(contract=mine, status=Status.APPROVED,
                                     created_by=people["cor"])
    Contract.objects.filter(pk=mine.pk).update(stage=Stage.ONBOARDING)
    return people
