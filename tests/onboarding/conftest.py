"""Fixtures the onboarding tests share."""

import pytest

from tests.factories import approved_for_onboarding


@pytest.fixture
def approved(people):
    """`mine` with its services decided (approved) and its request approved, in stage
    onboarding: the welcome package can go to the SO. A test module that needs more
    services decided overrides this fixture with one that adds them."""
    mine = people["mine"]
    approved_for_onboarding(mine, people["cor"])
    return people
