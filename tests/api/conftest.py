"""API test helpers: a token for a person, and a client that sends it."""

import datetime

import pytest
from django.test import Client

from muster import clock
from muster.api import tokens
from muster.api.models import ApiToken


def token_for(person, scope=ApiToken.Scope.READ_WRITE, days=30, name="Test token") -> str:
    """A new token of `person` (the secret, as a caller sends it)."""
    _, raw = tokens.issue(created_by=person, user=person, name=name, scope=scope,
                          expires_at=clock.now() + datetime.timedelta(days=days))
    return raw


def api_client(raw_token: str) -> Client:
    """A client that sends the token with every call, and no session."""
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw_token}")


@pytest.fixture
def person_api(db):
    """(person, client): someone with no role, calling with a read-write token."""
    from tests.factories import UserFactory

    person = UserFactory()
    return person, api_client(token_for(person))


def pytest_collection_modifyitems(config, items):
    """schemathesis runs only when asked for (`-m schemathesis`: its own .ci/run step),
    skipped before any fixture builds a database for it."""
    if "schemathesis" in (config.option.markexpr or ""):
        return
    from tests.api.test_schemathesis import HOW_TO_RUN

    for item in items:
        if item.get_closest_marker("schemathesis"):
            item.add_marker(pytest.mark.skip(reason=HOW_TO_RUN))
