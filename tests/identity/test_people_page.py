"""The accounts page: everyone, their roles, last sign-in, second factor and status, with
filters and CSV export; for the onboarding team, its lead and administrators."""

import csv
import datetime
import io

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from muster.accounts.models import ContractRole, TeamRole
from muster.identity.models import Invitation
from tests.factories import UserFactory, activate, give_role, make_contract, team_member
from tests.pages import text_of

pytestmark = pytest.mark.django_db

URL = reverse("identity:people")
CSV_URL = reverse("identity:people_csv")
NOW = datetime.datetime(2026, 11, 24, 17, 0, tzinfo=datetime.UTC)
# The session, the person, their team roles, the count, the page of people, their team
# roles, their contract roles, the header's unread notifications (issue 14); the footer's
# help contacts were read by the request before (once a minute a process, issue 17): as
# many for 3 people as for 30.
PAGE_QUERIES = 8


@pytest.fixture
def team(client, freeze_today):
    freeze_today()
    lead = team_member(TeamRole.Role.TEAM_LEAD, full_name="Tess Lead", email="tess@example.com")
    client.force_login(lead)
    return lead


@pytest.fixture
def world(team):
    contract = activate(make_contract(pop_start=datetime.date(2026, 1, 1),
                                      pop_end=datetime.date(2027, 6, 30)))
    second = activate(make_contract(pop_start=datetime.date(2026, 1, 1),
                                    pop_end=datetime.date(2027, 6, 30)))
    active = UserFactory(full_name="Alma Active", email="alma@example.com", harp_id="alma01",
                         last_login=NOW - datetime.timedelta(days=2))
    give_role(active, contract, ContractRole.Role.SO)
    give_role(active, second, ContractRole.Role.SO)
    Authenticator.objects.create(user=active, type=Authenticator.Type.TOTP, data={})
    invited = UserFactory(full_name="Ivan Invited", email="ivan@example.com")
    give_role(invited, contract, ContractRole.Role.CONTRACTOR_USER)
    Invitation.objects.create(user=invited, token_hash="a" * 64, reason="a user",
                              expires_at=NOW + datetime.timedelta(days=5))
    never = UserFactory(full_name="Nora Never", email="nora@example.com")
    give_role(never, contract, ContractRole.Role.POC)
    gone = UserFactory(full_name="Gus Gone", email="gus@example.com", is_active=False,
                       deactivated_reason="no_role")
    return {"active": active, "invited": invited, "never": never, "gone": gone,
            "contract": contract}


def rows_of(response) -> list[str]:
    page = response.content.decode()
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [" ".join(text_of_html(r).split()) for r in body.split("<tr>")[1:]]


def text_of_html(fragment: str) -> str:
    class Fake:
        content = fragment.encode()
    return text_of(Fake)


def test_the_page_lists_each_person_with_roles_sign_in_second_factor_and_status(client, world):
    response = client.get(URL)
    assert response.status_code == 200
    rows = rows_of(response)
    alma = next(r for r in rows if "Alma Active" in r)
    assert "alma@example.com; HARP ID alma01" in alma
    assert "SO on 2 contracts" in alma
    assert "Nov 22, 2026" in alma
    assert "On Active" in alma
    assert "Contractor user on 1 contract Never Off Invited" in next(
        r for r in rows if "Ivan Invited" in r)
    assert "POC on 1 contract Never Off Never signed in" in next(
        r for r in rows if "Nora Never" in r)
    assert "No role Never Off Disabled No role left" in next(r for r in rows if "Gus Gone" in r)
    assert "Onboarding team lead" in next(r for r in rows if "Tess Lead" in r)
    page = text_of(response)
    assert "5 people" in page
    assert response.content.decode().count("<h1") == 1


@pytest.mark.parametrize(("query", "names"), [
    ({"status": "invited"}, ["Ivan Invited"]),
    ({"status": "active"}, ["Alma Active"]),  # the lead was signed in by the test itself
    ({"status": "never_signed_in"}, ["Nora Never"]),
    ({"status": "disabled"}, ["Gus Gone"]),
    ({"second_factor": "on"}, ["Alma Active"]),
    ({"role": "contract:poc"}, ["Nora Never"]),
    ({"role": "team:team_lead"}, ["Tess Lead"]),
    ({"role": "none"}, ["Gus Gone"]),
    ({"q": "alma01"}, ["Alma Active"]),
    ({"q": "IVAN@"}, ["Ivan Invited"]),
    ({"q": "nora"}, ["Nora Never"]),
])
def test_filters(client, world, query, names):
    response = client.get(URL, query)
    shown = [n for n in ("Alma Active", "Ivan Invited", "Nora Never", "Gus Gone", "Tess Lead")
             if any(n in r for r in rows_of(response))]
    if query == {"status": "active"}:
        shown = [n for n in shown if n != "Tess Lead"]
    assert shown == names


def test_a_bad_filter_value_is_ignored_not_an_error(client, world):
    response = client.get(URL, {"status": "<script>", "role": "x", "page": "999"})
    assert response.status_code == 200
    assert "5 people" in text_of(response)


def test_the_csv_is_the_filtered_list(client, world):
    world["never"].full_name = "=HYPERLINK(1)"
    world["never"].save()
    response = client.get(CSV_URL, {"role": "contract:poc"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Name", "Email", "HARP ID", "Status", "Roles", "Last sign-in",
                       "Second factor"]
    assert rows[1:] == [["'=HYPERLINK(1)", "nora@example.com", world["never"].harp_id,
                         "Never signed in", "POC on 1 contract", "", "Off"]]


def test_the_page_links_the_csv_with_the_same_filters(client, world):
    page = client.get(URL, {"status": "invited"}).content.decode()
    assert f'href="{CSV_URL}?status=invited"' in page


def test_htmx_gets_the_results_alone(client, world):
    response = client.get(URL, {"q": "alma"}, headers={"HX-Request": "true"})
    assert "<h1" not in response.content.decode()
    assert "1 person" in text_of(response)


@pytest.mark.parametrize("role", [TeamRole.Role.ONBOARDING_TEAM, TeamRole.Role.ADMINISTRATOR])
def test_the_team_and_administrators_may_see_it_and_find_it_in_the_header(client, db, role):
    client.force_login(team_member(role))
    page = client.get(reverse("home")).content.decode()
    assert f'href="{URL}"' in page
    assert client.get(URL).status_code == 200


def test_others_may_not(client, db):
    contract = make_contract()
    so = UserFactory()
    give_role(so, contract, ContractRole.Role.SO)
    for person in (so, UserFactory()):
        client.force_login(person)
        assert client.get(URL).status_code == 403
        assert client.get(CSV_URL).status_code == 403
        assert f'href="{URL}"' not in client.get(reverse("home")).content.decode()


def test_a_page_costs_the_same_queries_for_3_people_as_for_30(
        client, team, django_assert_num_queries):
    contract = activate(make_contract(pop_start=datetime.date(2026, 1, 1),
                                      pop_end=datetime.date(2027, 6, 30)))

    def add(n: int):
        for _ in range(n):
            person = UserFactory(last_login=NOW)
            give_role(person, contract, ContractRole.Role.CONTRACTOR_USER)
            Authenticator.objects.create(user=person, type=Authenticator.Type.TOTP, data={})
            Invitation.objects.create(user=person, token_hash=person.email.ljust(64, "x")[:64],
                                      reason="a user", expires_at=NOW)
            TeamRole.objects.create(user=person, role=TeamRole.Role.COR)

    add(2)  # with the lead: 3 people
    client.get(URL)  # the session's first request notes its times
    with django_assert_num_queries(PAGE_QUERIES):
        assert "3 people" in text_of(client.get(URL))
    add(27)
    with django_assert_num_queries(PAGE_QUERIES):
        assert "30 people" in text_of(client.get(URL))
