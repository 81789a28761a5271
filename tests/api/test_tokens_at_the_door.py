"""The API's door: a usable token gets in as its person; anything else is a 401 problem."""

import datetime

import pytest
import time_machine

from muster import clock
from muster.api import tokens
from muster.audit import correlation
from muster.audit.models import AuditEvent
from tests.api.conftest import api_client, token_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_token_acts_as_its_person(person_api):
    person, client = person_api

    response = client.get("/api/v1/me")

    assert response.status_code == 200
    assert response.json()["email"] == person.email
    assert response.json()["token_scope"] == "read_write"


@pytest.mark.parametrize("header", [None, "Bearer mst_nothing_here", "Basic abc",
                                    "Bearer "])
def test_no_usable_token_is_a_401_problem(client, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}

    response = client.get("/api/v1/me", **extra)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["status"] == 401 and response.json()["title"]


def test_a_signed_in_session_is_not_a_token(client):
    person = UserFactory()
    client.force_login(person)

    assert client.get("/api/v1/me").status_code == 401


def test_a_revoked_an_expired_and_an_ended_accounts_token_are_refused():
    person = UserFactory()
    revoked, expired, ended = (token_for(person, days=d) for d in (30, 2, 30))
    tokens.revoke(person, tokens.find(revoked))
    with time_machine.travel(clock.now() + datetime.timedelta(days=3)):
        assert api_client(expired).get("/api/v1/me").status_code == 401
    assert api_client(revoked).get("/api/v1/me").status_code == 401
    person.is_active = False
    person.save()
    assert api_client(ended).get("/api/v1/me").status_code == 401


def test_a_token_is_stored_only_as_its_hash():
    person = UserFactory()
    raw = token_for(person)
    token = tokens.find(raw)

    assert raw not in (token.prefix, token.digest)
    assert token.digest == tokens.digest_of(raw)


def test_the_audit_record_says_what_came_through_the_api():
    person = UserFactory()
    with correlation.scope("test-api-channel"):
        correlation.set_channel("api")
        token_for(person, name="From the API")
    issued = AuditEvent.objects.filter(action="api.token_issued").latest("id")

    assert issued.channel == "api"
    assert issued.content_digest() == issued.hash
