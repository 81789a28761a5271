"""Rosters and grants through the REST API (/api/v1/contracts/{id}/roster, /grants/...), per
role: who reads a roster and a grant, the SO adding a user and asking for their access, the
team or the service's lead confirming it, the SO revoking it. Every write is the page's
own service, refused as the page refuses (403/404), with the form's checks (422 naming the
field, nothing stored) and the service's rules (409); the emails and the audit record the
page's action makes happen too, and the record says it came through the API."""

import datetime

import pytest

from muster.access import grants, roster
from muster.access.models import AccessGrant, GrantStatus
from muster.accounts.models import ContractRole
from muster.api.models import ApiToken
from muster.audit.models import AuditEvent
from muster.contracts.models import Contract, Stage
from muster.notifications.models import OutboxEmail
from tests.access import approve, give_dua
from tests.api.conftest import api_client, token_for
from tests.factories import TODAY, activate

pytestmark = pytest.mark.django_db
JSON = "application/json"
MEMBER = ContractRole.Role.CONTRACTOR_USER


def as_(people, role, scope=ApiToken.Scope.READ_WRITE):
    return api_client(token_for(people[role], scope=scope))


def post(client, path, body=None):
    return client.post(path, body or {}, content_type=JSON)


def assert_problem(response, status: int, field: str | None = None):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    if field is not None:  # as the caller sent it (after the body's name, "payload.")
        named = [e["field"].removeprefix("payload.") for e in response.json()["errors"]]
        assert field in named, response.json()


def changes_recorded() -> int:
    """Audit events, but for the tokens a test issues to call with."""
    return AuditEvent.objects.exclude(action="api.token_issued").count()


def latest_event(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).latest("id")


def stored() -> tuple:
    """What a refused action must leave as it was."""
    return (ContractRole.objects.count(), tuple(AccessGrant.objects.order_by("pk")
                                                .values_list("pk", "status")),
            changes_recorded(), OutboxEmail.objects.count())


@pytest.fixture
def setup(people, freeze_today):
    """`mine` active, with SAS Viya (a valid DUA) and Confluence approved; its contractor
    user on the roster (from `people`)."""
    freeze_today(TODAY)
    mine = activate(people["mine"])
    people["mine"] = mine
    people["sas"] = approve(mine, "sas-viya")
    people["confluence"] = approve(mine, "confluence")
    give_dua(mine)
    mine.duas.get().services.set([people["sas"]])
    return people


@pytest.fixture
def requested(setup):
    """The contractor user's Confluence access, asked for by the SO."""
    return grants.grant(setup["so"], setup["mine"], setup["contractor_user"],
                        setup["confluence"])


def roster_path(people):
    return f"/api/v1/contracts/{people['mine'].pk}/roster"


# --- Reading the roster and a grant ----------------------------------------------------------


def test_the_roster_lists_the_contractor_users_and_their_grants(setup, requested):
    response = as_(setup, "so").get(roster_path(setup))

    assert response.status_code == 200, response.content
    [row] = response.json()["results"]
    assert row["user_id"] == setup["contractor_user"].pk
    assert row["harp_id"] == setup["contractor_user"].harp_id
    assert [(g["id"], g["service"], g["status"]) for g in row["grants"]] == [
        (requested.pk, "confluence", "requested")]


@pytest.mark.parametrize("role, status", [
    ("so", 200), ("spoc", 200), ("cor", 200), ("onboarding_team", 200), ("team_lead", 200),
    ("administrator", 200), ("poc", 403), ("sas_lead", 403), ("contractor_user", 404),
    ("other_cor", 404), ("outsider", 404),
])
def test_who_reads_a_roster_is_who_opens_its_page(setup, role, status):
    response = as_(setup, role).get(roster_path(setup))

    assert response.status_code == status


def test_the_roster_takes_as_many_queries_for_many_users_as_for_few(
        setup, requested, django_assert_num_queries):
    client = as_(setup, "so")
    client.get(roster_path(setup))  # the token's first use is noted once
    with django_assert_num_queries(6) as few:
        assert len(client.get(roster_path(setup)).json()["results"]) == 1
    for n in range(6):
        role = roster.add_user(setup["so"], setup["mine"], full_name=f"New {n}",
                               email=f"new{n}@example.com", harp_id=f"newharp{n}")
        grants.grant(setup["so"], setup["mine"], role.user, setup["confluence"])
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(client.get(roster_path(setup)).json()["results"]) == 7


def test_the_roster_is_paged_with_a_cursor(setup):
    for n in range(3):
        roster.add_user(setup["so"], setup["mine"], full_name=f"New {n}",
                        email=f"new{n}@example.com", harp_id=f"newharp{n}")
    client = as_(setup, "so")

    first = client.get(roster_path(setup), {"page_size": 3}).json()
    rest = client.get(first["next"]).json()

    seen = [r["user_id"] for r in first["results"] + rest["results"]]
    assert len(seen) == len(set(seen)) == 4 and rest["next"] is None


@pytest.mark.parametrize("role, status", [
    ("so", 200), ("cor", 200), ("onboarding_team", 200), ("confluence_lead", 200),
    ("contractor_user", 200), ("sas_lead", 403), ("poc", 403), ("outsider", 404),
    ("other_cor", 404),
])
def test_a_grant_is_read_by_who_sees_it_on_a_page(setup, requested, role, status):
    """The roster's readers (its page), a lead who confirms it (the list to confirm), and
    the person it gives access to (their own access page)."""
    response = as_(setup, role).get(f"/api/v1/grants/{requested.pk}")

    assert response.status_code == status
    if status == 200:
        assert response.json()["status"] == "requested"
        assert response.json()["eua_job_code"] == "CONFL_User"


def test_the_grants_to_confirm_are_those_the_person_confirms(setup, requested,
                                                             django_assert_num_queries):
    sas = grants.grant(setup["so"], setup["mine"], setup["contractor_user"], setup["sas"])

    def ids(role):
        response = as_(setup, role).get("/api/v1/grants/to-confirm")
        assert response.status_code == 200
        return {g["id"] for g in response.json()["results"]}

    assert ids("onboarding_team") == {requested.pk, sas.pk}
    assert ids("confluence_lead") == {requested.pk}
    assert ids("sas_lead") == {sas.pk}
    for role in ("so", "cor", "outsider"):
        assert_problem(as_(setup, role).get("/api/v1/grants/to-confirm"), 403)


def test_the_grants_to_confirm_take_as_many_queries_for_many_as_for_few(
        setup, requested, django_assert_num_queries):
    client = as_(setup, "onboarding_team")
    client.get("/api/v1/grants/to-confirm")
    with django_assert_num_queries(3) as few:
        assert len(client.get("/api/v1/grants/to-confirm").json()["results"]) == 1
    for n in range(5):
        role = roster.add_user(setup["so"], setup["mine"], full_name=f"New {n}",
                               email=f"new{n}@example.com", harp_id=f"newharp{n}")
        grants.grant(setup["so"], setup["mine"], role.user, setup["confluence"])
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/v1/grants/to-confirm").json()["results"]) == 6


# --- The SO adds a user to the roster ---------------------------------------------------------

NEW_USER = {"full_name": "Nia New", "email": "nia@example.com", "harp_id": "nianew01"}


def test_the_so_adds_a_user_through_the_api(setup):
    response = post(as_(setup, "so"), roster_path(setup), NEW_USER)

    assert response.status_code == 201, response.content
    assert response.json()["email"] == "nia@example.com" and response.json()["grants"] == []
    role = ContractRole.objects.get(contract=setup["mine"], user__email="nia@example.com")
    assert role.role == MEMBER
    added = latest_event("access.user_added")
    assert added.channel == "api" and added.actor == setup["so"]
    assert OutboxEmail.objects.filter(key=f"roster-added:{role.pk}").exists()


@pytest.mark.parametrize("changes, field", [
    ({"harp_id": "x"}, "harp_id"),
    ({"email": "not-an-email"}, "email"),
    ({"full_name": ""}, "full_name"),
    ({"full_name": "N" * 500}, "full_name"),
    ({"full_name": "Nia\u200b"}, "full_name"),  # an invisible character
])
def test_a_user_the_pages_form_refuses_is_invalid_input(setup, changes, field):
    before = stored()

    response = post(as_(setup, "so"), roster_path(setup), {**NEW_USER, **changes})

    assert_problem(response, 422, field)
    assert stored() == before


def test_someone_already_on_the_roster_or_a_harp_id_taken_is_invalid_input(setup):
    before = stored()
    member = setup["contractor_user"]
    client = as_(setup, "so")

    again = post(client, roster_path(setup), {"full_name": member.full_name,
                                              "email": member.email,
                                              "harp_id": member.harp_id})
    taken = post(client, roster_path(setup), {**NEW_USER, "harp_id": member.harp_id})

    assert_problem(again, 422, "email")
    assert_problem(taken, 422, "harp_id")
    assert stored() == before


def test_a_closed_contracts_roster_does_not_change(setup):
    Contract.objects.filter(pk=setup["mine"].pk).update(stage=Stage.CLOSED)
    before = stored()

    response = post(as_(setup, "so"), roster_path(setup), NEW_USER)

    assert_problem(response, 409)
    assert "closed" in response.json()["detail"]
    assert stored() == before


@pytest.mark.parametrize("role, status", [("cor", 403), ("spoc", 403), ("onboarding_team", 403),
                                          ("sas_lead", 403), ("outsider", 404),
                                          ("other_cor", 404)])
def test_only_the_so_adds_users(setup, role, status):
    before = stored()

    response = post(as_(setup, role), roster_path(setup), NEW_USER)

    assert_problem(response, status)
    assert stored() == before


def test_a_read_only_token_adds_no_one(setup):
    before = stored()

    response = post(as_(setup, "so", ApiToken.Scope.READ), roster_path(setup), NEW_USER)

    assert_problem(response, 403)
    assert stored() == before


# --- The SO asks for a user's access to an approved service ----------------------------------


def grants_path(people):
    return f"/api/v1/contracts/{people['mine'].pk}/grants"


def test_the_so_requests_a_grant_through_the_api(setup):
    response = post(as_(setup, "so"), grants_path(setup),
                    {"user_id": setup["contractor_user"].pk, "service_id": setup["sas"].pk})

    assert response.status_code == 201, response.content
    assert response.json()["status"] == "requested" and response.json()["service"] == "sas-viya"
    made = AccessGrant.objects.get(pk=response.json()["id"])
    assert (made.user, made.service, made.requested_by) == (
        setup["contractor_user"], setup["sas"], setup["so"])
    assert latest_event("access.requested").channel == "api"
    assert OutboxEmail.objects.filter(key=f"grant:{made.pk}:requested").exists()


def test_a_grant_for_someone_off_the_roster_or_of_no_service_is_invalid_input(setup):
    before = stored()
    client = as_(setup, "so")
    member = setup["contractor_user"].pk

    assert_problem(post(client, grants_path(setup),
                        {"user_id": setup["outsider"].pk, "service_id": setup["sas"].pk}),
                   422, "user_id")
    assert_problem(post(client, grants_path(setup), {"user_id": member, "service_id": 99999}),
                   422, "service_id")
    assert_problem(post(client, grants_path(setup), {"user_id": member}), 422, "service_id")
    assert stored() == before


def test_a_grant_of_a_service_not_approved_or_already_held_is_not_possible(setup, requested):
    from muster.catalog.models import Service

    before = stored()
    client = as_(setup, "so")
    member = setup["contractor_user"].pk
    slack = Service.objects.get(slug="slack").pk

    not_approved = post(client, grants_path(setup), {"user_id": member, "service_id": slack})
    held = post(client, grants_path(setup),
                {"user_id": member, "service_id": setup["confluence"].pk})

    assert_problem(not_approved, 409)
    assert "not an approved service" in not_approved.json()["detail"]
    assert_problem(held, 409)
    assert stored() == before


def test_a_dua_service_without_a_valid_dua_is_not_granted(setup, freeze_today):
    freeze_today(datetime.date(2099, 2, 1))  # the DUA expired
    before = stored()

    response = post(as_(setup, "so"), grants_path(setup),
                    {"user_id": setup["contractor_user"].pk, "service_id": setup["sas"].pk})

    assert_problem(response, 409)
    assert stored() == before


@pytest.mark.parametrize("role, status", [("cor", 403), ("onboarding_team", 403),
                                          ("confluence_lead", 403), ("outsider", 404)])
def test_only_the_so_requests_grants(setup, role, status):
    before = stored()

    response = post(as_(setup, role), grants_path(setup),
                    {"user_id": setup["contractor_user"].pk,
                     "service_id": setup["confluence"].pk})

    assert_problem(response, status)
    assert stored() == before


# --- The team or the service's lead confirms; the SO revokes -------------------------------


@pytest.mark.parametrize("role", ["onboarding_team", "confluence_lead"])
def test_the_team_or_the_services_lead_confirms_a_grant(setup, requested, role):
    response = post(as_(setup, role), f"/api/v1/grants/{requested.pk}/confirm")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "active"
    requested.refresh_from_db()
    assert requested.status == GrantStatus.ACTIVE
    confirmed = latest_event("access.confirmed")
    assert confirmed.channel == "api" and confirmed.actor == setup[role]
    assert OutboxEmail.objects.filter(key=f"grant:{requested.pk}:active").exists()


@pytest.mark.parametrize("role, status", [("sas_lead", 403), ("so", 403), ("cor", 403),
                                          ("team_lead", 403), ("contractor_user", 404),
                                          ("outsider", 404), ("other_cor", 404)])
def test_no_one_else_confirms_a_grant(setup, requested, role, status):
    before = stored()

    response = post(as_(setup, role), f"/api/v1/grants/{requested.pk}/confirm")

    assert_problem(response, status)
    assert stored() == before


def test_an_active_grant_is_not_confirmed_again(setup, requested):
    grants.confirm(setup["onboarding_team"], requested)
    before = stored()

    response = post(as_(setup, "onboarding_team"), f"/api/v1/grants/{requested.pk}/confirm")

    assert_problem(response, 409)
    assert stored() == before


def test_a_read_only_token_confirms_nothing(setup, requested):
    before = stored()

    response = post(as_(setup, "onboarding_team", ApiToken.Scope.READ),
                    f"/api/v1/grants/{requested.pk}/confirm")

    assert_problem(response, 403)
    assert stored() == before


def test_the_so_revokes_a_grant_and_no_one_else_does(setup, requested):
    before = stored()
    path = f"/api/v1/grants/{requested.pk}/revoke"

    assert_problem(post(as_(setup, "onboarding_team"), path), 403)
    assert_problem(post(as_(setup, "outsider"), path), 404)
    assert stored() == before

    response = post(as_(setup, "so"), path)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "revoked"
    assert latest_event("access.revoked").channel == "api"
    assert OutboxEmail.objects.filter(key=f"grant:{requested.pk}:revoked").exists()
    assert_problem(post(as_(setup, "so"), path), 409)  # already revoked


def test_an_unknown_grant_is_not_found(setup):
    assert_problem(as_(setup, "onboarding_team").get("/api/v1/grants/999999"), 404)
    assert_problem(post(as_(setup, "onboarding_team"), "/api/v1/grants/999999/confirm"), 404)


@pytest.mark.parametrize("path", [
    "/api/v1/grants/99999999999999999999999", "/api/v1/grants/-1",
    "/api/v1/contracts/99999999999999999999999/roster",
    "/api/v1/requests/onboarding/99999999999999999999999",
    "/api/v1/requests/additional/-5",
])
def test_an_id_out_of_any_range_is_not_found(setup, path):
    assert_problem(as_(setup, "onboarding_team").get(path), 404)


@pytest.mark.parametrize("query", ["page_size=0", "page_size=-3", "page_size=100000",
                                   "cursor=not-a-cursor", "cursor=%00"])
def test_odd_paging_is_a_problem_or_a_page_never_a_server_error(setup, query):
    response = as_(setup, "so").get(f"{roster_path(setup)}?{query}")

    assert response.status_code in (200, 422), response.content
