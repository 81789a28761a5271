"""Who gets in (a provisioning client's token, nothing else), how often, and what a write
gets: SCIM errors, never a page or a problem document."""

import datetime

import pytest
import time_machine
from django.test import Client

from muster import clock
from muster.api import tokens
from muster.api.models import ApiToken
from muster.audit.models import AuditEvent
from tests.api.conftest import token_for

from .conftest import CONTENT_TYPE, SCIM, client_token, scim_client

pytestmark = pytest.mark.django_db

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def assert_scim_error(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == CONTENT_TYPE
    body = response.json()
    assert body["schemas"] == [ERROR] and body["status"] == str(status) and body["detail"]
    return body


@pytest.mark.parametrize("header", [None, "Bearer mst_nothing_here", "Basic abc", "Bearer ",
                                    "Bearer mst_0123456789ab_wrong"])
@pytest.mark.parametrize("path", ["/Users", "/Groups", "/ServiceProviderConfig", "/nowhere"])
def test_no_usable_token_is_a_401_scim_error(client, world, header, path):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}

    response = client.get(f"{SCIM}{path}", **extra)

    assert_scim_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("scope", [ApiToken.Scope.READ, ApiToken.Scope.READ_WRITE])
def test_a_persons_api_token_does_not_open_scim(world, scope):
    raw = token_for(world["team"], scope=scope)

    assert_scim_error(scim_client(raw).get(f"{SCIM}/Users"), 401)


def test_a_signed_in_session_is_not_a_token(client, world):
    client.force_login(world["team"])

    assert_scim_error(client.get(f"{SCIM}/Users"), 401)


def test_a_revoked_or_expired_client_token_is_refused(world):
    revoked, expiring = client_token(world["team"]), client_token(world["team"], days=2)
    tokens.revoke(world["team"], tokens.find(revoked))

    assert_scim_error(scim_client(revoked).get(f"{SCIM}/Users"), 401)
    assert scim_client(expiring).get(f"{SCIM}/Users").status_code == 200
    with time_machine.travel(clock.now() + datetime.timedelta(days=3)):
        assert_scim_error(scim_client(expiring).get(f"{SCIM}/Users"), 401)


def test_a_call_notes_the_tokens_last_use_and_changes_nothing_else(scim, world):
    events = AuditEvent.objects.count()

    scim.get(f"{SCIM}/Users")

    token = ApiToken.objects.get(scope="scim")
    assert token.last_used_at is not None
    assert AuditEvent.objects.count() == events


def test_calls_are_limited_per_token_with_a_429_scim_error(world, settings):
    settings.API_RATE_LIMIT = "2/min"
    busy, other = scim_client(client_token(world["team"])), scim_client(client_token(world["team"]))

    answers = [busy.get(f"{SCIM}/Users").status_code for _ in range(3)]

    assert answers == [200, 200, 429]
    limited = busy.get(f"{SCIM}/Groups")
    assert_scim_error(limited, 429)
    assert int(limited["Retry-After"]) >= 1
    assert other.get(f"{SCIM}/Users").status_code == 200


# --- Writes -----------------------------------------------------------------------------


@pytest.mark.parametrize("method, path", [
    ("post", "/Users"), ("put", "/Users/{ann}"), ("patch", "/Users/{ann}"),
    ("delete", "/Users/{ann}"), ("post", "/Groups"), ("put", "/Groups/{group}"),
    ("patch", "/Groups/{group}"), ("delete", "/Groups/{group}"),
    ("post", "/Bulk"), ("get", "/Me"), ("post", "/Me"), ("post", "/.search"),
    ("post", "/Users/.search"), ("post", "/Groups/.search"),
])
def test_a_write_or_an_optional_endpoint_is_501_not_implemented(scim, world, method, path):
    path = path.format(ann=world["ann"].pk, group=f"{world['alpha'].pk}-confluence")

    response = getattr(scim, method)(f"{SCIM}{path}", data={"schemas": []},
                                     content_type=CONTENT_TYPE)

    assert_scim_error(response, 501)
    assert scim.get(f"{SCIM}/Users/{world['ann'].pk}").status_code == 200


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("path", ["/ServiceProviderConfig", "/Schemas", "/ResourceTypes",
                                  "/ResourceTypes/User"])
def test_a_discovery_endpoint_allows_only_get(scim, method, path):
    response = getattr(scim, method)(f"{SCIM}{path}", data={}, content_type=CONTENT_TYPE)

    assert_scim_error(response, 405)
    assert response["Allow"] == "GET, HEAD"


def test_a_write_without_a_token_is_a_401_first(world):
    response = Client().post(f"{SCIM}/Users", data={}, content_type=CONTENT_TYPE)

    assert_scim_error(response, 401)


def test_an_unknown_path_is_a_404_scim_error(scim):
    assert_scim_error(scim.get(f"{SCIM}/Pets"), 404)
    assert_scim_error(scim.get(f"{SCIM}/Users/1/emails"), 404)


@pytest.mark.parametrize("path", [
    "/Users?attributes=emails[type",
    "/Users?attributes=userName&excludedAttributes=emails",
    "/Users?filter=userName%20eq%20%22%00%22",
    "/Users?filter=" + "(" * 300,
    "/Users/" + "9" * 40,
    "/Groups/" + "9" * 40 + "-confluence",
    "/Groups?count=" + "9" * 5000,
    "/Schemas/" + "x" * 500,
])
def test_odd_input_is_a_clear_scim_error_never_a_server_error(scim, path):
    response = scim.get(f"{SCIM}{path}")

    assert 400 <= response.status_code < 500
    assert response["Content-Type"] == CONTENT_TYPE
    assert response.json()["detail"]


def test_head_answers_like_get(scim):
    assert scim.head(f"{SCIM}/Users").status_code == 200
