"""The team's provisioning clients (/api/provisioning-clients/): the onboarding team, its
lead and administrators issue a SCIM token for an identity system (Okta, Entra ID,
ServiceNow), see it once, see when each client last called, and revoke it."""

import datetime
import re

import pytest
import time_machine
from django.urls import reverse

from muster import clock
from muster.accounts.models import TeamRole
from muster.api import tokens
from muster.api.models import ApiToken
from muster.audit.models import AuditEvent
from tests.api.conftest import api_client
from tests.api.test_token_pages import rows_of
from tests.factories import PASSWORD, UserFactory, team_member
from tests.pages import text_of

pytestmark = pytest.mark.django_db

LIST = reverse("api_pages:clients")
NEW = reverse("api_pages:new_client")
RAW = re.compile(r"mst_[0-9a-f]{12}_[A-Za-z0-9_-]{20,}")


def signed_in_now(client, person):
    answer = client.post(reverse("account_login"), {"login": person.email,
                                                     "password": PASSWORD})
    assert answer.status_code == 302
    return client


def client_token(issuer, name="Okta production", days=365):
    token, raw = tokens.issue(created_by=issuer, name=name, scope=ApiToken.Scope.SCIM,
                              expires_at=clock.now() + datetime.timedelta(days=days))
    return token, raw


@pytest.fixture
def tess(db):
    return team_member(TeamRole.Role.ONBOARDING_TEAM, full_name="Tess Team")


@pytest.mark.parametrize("role", [TeamRole.Role.ONBOARDING_TEAM, TeamRole.Role.TEAM_LEAD,
                                  TeamRole.Role.ADMINISTRATOR])
def test_the_team_issues_a_client_token_shown_once(client, role):
    member = team_member(role)
    signed_in_now(client, member)

    with time_machine.travel(clock.now(), tick=False):
        response = client.post(NEW, {"name": "Okta production", "expiry": "365"})
        token = ApiToken.objects.get()
        assert token.expires_at == clock.now() + datetime.timedelta(days=365)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    (raw,) = set(RAW.findall(response.content.decode()))
    assert "You will not be able to see it again" in text_of(response)
    assert (token.name, token.scope, token.user, token.created_by) == (
        "Okta production", "scim", None, member)
    assert tokens.find(raw) == token
    # A client's token is not a person's: the REST API refuses it.
    assert api_client(raw).get("/api/v1/me").status_code == 401
    assert raw not in client.get(LIST).content.decode()
    assert AuditEvent.objects.get(action="api.token_issued").actor == member


def test_the_list_shows_each_client_its_dates_and_last_use(client, tess):
    with time_machine.travel(datetime.datetime(2026, 11, 24, 15, tzinfo=datetime.UTC),
                             tick=False):
        used, _ = client_token(tess, "Okta production")
        tokens.note_use(used)
        client_token(tess, "Entra ID test", days=30)
    client.force_login(tess)

    page = text_of(client.get(LIST))

    rows = rows_of(page, ["Okta production", "Entra ID test"])
    okta, entra = rows["Okta production"], rows["Entra ID test"]
    assert "November 24, 2026" in okta and "Active" in okta
    assert "Never" in entra
    assert "Tess Team" in okta  # who issued it


def test_a_persons_tokens_are_not_on_the_clients_page(client, tess):
    from tests.api.conftest import token_for

    token_for(UserFactory(), name="A person's script")
    client.force_login(tess)

    assert "A person's script" not in text_of(client.get(LIST))


def test_revoking_a_client_asks_first_then_its_token_stops_working(client, tess):
    token, raw = client_token(tess, "ServiceNow")
    url = reverse("api_pages:revoke_client", args=[token.pk])
    client.force_login(tess)

    ask = client.get(url)
    assert "Revoke the token of “ServiceNow”?" in text_of(ask)
    assert tokens.find(raw) is not None

    done = client.post(url, follow=True)

    assert "The token of “ServiceNow” is revoked" in text_of(done)
    assert tokens.find(raw) is None
    assert AuditEvent.objects.get(action="api.token_revoked").actor == tess


def test_a_persons_token_is_not_revoked_through_the_clients_page(client, tess):
    from tests.api.conftest import token_for

    raw = token_for(UserFactory())
    url = reverse("api_pages:revoke_client", args=[tokens.find(raw).pk])
    client.force_login(tess)

    assert client.post(url).status_code == 404
    assert tokens.find(raw) is not None


@pytest.mark.parametrize("fields", [{"name": ""}, {"expiry": "date", "expires_on": "x"},
                                    {"expiry": "forever"}])
def test_bad_input_makes_nothing(client, tess, fields):
    signed_in_now(client, tess)

    response = client.post(NEW, {"name": "Okta", "expiry": "90", **fields})

    assert "There is a problem" in text_of(response)
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("who", ["service_lead", "no_team_role"])
def test_only_the_team_manages_clients(client, who):
    from muster.catalog.models import Service

    if who == "service_lead":
        person = team_member(TeamRole.Role.SERVICE_LEAD, service=Service.objects.first())
    else:
        person = UserFactory()
    token, raw = client_token(team_member(TeamRole.Role.ONBOARDING_TEAM))
    signed_in_now(client, person)

    assert client.get(LIST).status_code == 403
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, {"name": "Mine", "expiry": "30"}).status_code == 403
    assert client.post(reverse("api_pages:revoke_client", args=[token.pk])).status_code == 403
    assert ApiToken.objects.count() == 1 and tokens.find(raw) is not None


def test_the_header_links_the_page_for_the_team_only(client, tess):
    client.force_login(tess)
    assert f'href="{LIST}"' in client.get(reverse("contracts:list")).content.decode()

    client.force_login(UserFactory())
    assert f'href="{LIST}"' not in client.get(reverse("contracts:list")).content.decode()
