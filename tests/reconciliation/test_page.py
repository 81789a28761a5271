"""The reconciliation page and its CSV: every kind of finding seeded is found, each near
miss is not, each row links where it is fixed, and only the team may look."""

import csv
import io
import re

import pytest
from django.urls import reverse

from muster.accounts.models import TeamRole
from muster.reconciliation.models import SeenFinding
from tests.factories import UserFactory, team_member
from tests.pages import html_of, text_of

pytestmark = pytest.mark.django_db

URL = "/reconciliation/"
EXPECTED = {
    "Access to a service not approved for the contract": ["Una Unapproved"],
    "Access after the end of performance": ["Cleo Closed", "Eddie Ended"],
    "Access without a valid Data Use Agreement": ["Dara Dua"],
    "EUA background check not complete": ["Ian InProgress"],
    "On the rosters of two contractors": ["Tomas Two", "Tomas Two"],
    "Access requested and never confirmed": ["Una Waiting"],
}
NEAR_MISSES = ["Rex Revoked", "Vic Revoked", "Tia Today", "Paula Paused", "Val Valid",
               "Cam Complete", "Pia Paused", "Jo NoEua", "Sam Same", "Olly Old", "Fay Five",
               "Fran Four"]


def csv_rows(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_every_kind_is_found_on_the_page_and_no_near_miss(client, scene):
    client.force_login(scene.team)

    page = text_of(client.get(URL))

    assert "8 findings in all." in page
    for label, names in EXPECTED.items():
        assert f"{label} ({len(names)})" in page
        for name in names:
            assert name in page
    for name in NEAR_MISSES:
        assert name not in page, name
    assert "denied (or taken off) on this contract" in page
    assert "the period of performance ended on November 20, 2026" in page
    assert "the contract is closed" in page
    assert "the latest Data Use Agreement expired on November 1, 2026" in page
    assert "the EUA background check is “In progress”" in page
    assert "also of Birch Analytics Inc (Birch Work)" in page
    assert "requested on November 16, 2026, 6 business days ago, and not confirmed" in page
    assert "more than 5 business days ago" in page
    assert "Not yet found by the daily check" in page


def test_the_csv_has_the_same_findings_with_their_links(client, scene):
    client.force_login(scene.team)

    response = client.get(reverse("reconciliation:findings_csv"))

    assert response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response)
    found = {}
    for row in rows:
        found.setdefault(row["Kind"], []).append(row["Person"])
    assert {k: sorted(v) for k, v in found.items()} == EXPECTED
    dua = next(r for r in rows if r["Person"] == "Dara Dua")
    main = scene.contracts["Alder Analytics"]
    assert dua["Where"].endswith(reverse("access:dua", args=[main.pk]))
    assert dua["Service"] == "SAS Viya" and dua["Access status"] == "Active"


def test_the_filter_shows_one_kind_page_and_csv(client, scene):
    client.force_login(scene.team)

    page = text_of(client.get(URL, {"kind": "unconfirmed"}))
    rows = csv_rows(client.get(reverse("reconciliation:findings_csv"), {"kind": "unconfirmed"}))
    every = text_of(client.get(URL, {"kind": "no-such-kind"}))

    assert "Una Waiting" in page and "Ian InProgress" not in page
    assert "8 findings in all." in page  # the summary still counts every kind
    assert [r["Person"] for r in rows] == ["Una Waiting"]
    assert "Una Waiting" in every and "Ian InProgress" in every


@pytest.mark.parametrize("role", [TeamRole.Role.ONBOARDING_TEAM, TeamRole.Role.TEAM_LEAD,
                                  TeamRole.Role.ADMINISTRATOR])
def test_each_row_links_to_a_page_the_team_opens(client, scene, role):
    client.force_login(team_member(role))
    html = html_of(client.get(URL))

    links = set(re.findall(r'<a class="usa-link" href="(/access/[^"]+)">', html))

    assert len(links) >= 6
    for link in links:
        assert client.get(link).status_code == 200, link


def test_only_the_team_may_look(client, scene):
    for person in (scene.so, scene.people["Una Unapproved"], UserFactory(),
                   team_member(TeamRole.Role.SERVICE_LEAD, service=scene.grants["dua"].service)):
        client.force_login(person)
        assert client.get(URL).status_code == 403
        assert client.get(reverse("reconciliation:findings_csv")).status_code == 403


def test_the_page_writes_nothing(client, scene):
    client.force_login(scene.team)
    client.get(URL)
    client.get(reverse("reconciliation:findings_csv"))
    assert not SeenFinding.objects.exists()


def test_nothing_to_reconcile(client, db, freeze_today):
    freeze_today()
    client.force_login(team_member(TeamRole.Role.ONBOARDING_TEAM))

    page = text_of(client.get(URL))

    assert "Nothing to reconcile." in page
    assert "findings in all" not in page


def test_a_cell_a_spreadsheet_would_run_is_made_inert(client, scene):
    person = scene.people["Una Waiting"]
    person.full_name = "=HYPERLINK(\"http://evil.example\")"
    person.save()
    client.force_login(scene.team)

    rows = csv_rows(client.get(reverse("reconciliation:findings_csv"), {"kind": "unconfirmed"}))

    assert rows[0]["Person"].startswith("'=")


def more_of_each_kind(scene, n: int) -> None:
    from tests.reconciliation.conftest import EUA
    main = scene.contracts["Alder Analytics"]
    other = scene.contracts["Birch Work"]
    for i in range(n):
        scene.member(f"Extra {i}", main, eua=EUA.NOT_STARTED)
        scene.member(f"Extra {i}", other)
        scene.grant(f"x-slack-{i}", main, f"Extra {i}", "slack")
        scene.grant(f"x-sas-{i}", main, f"Extra {i}", "sas-viya")
        scene.grant(f"x-confluence-{i}", main, f"Extra {i}", "confluence")
        scene.grant(f"x-jira-{i}", main, f"Extra {i}", "jira-service-management",
                    "requested")


def test_the_page_makes_as_many_queries_for_many_findings_as_for_few(
        client, scene, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(scene.team)
    client.get(URL)  # the session and caches settled
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    more_of_each_kind(scene, 15)

    with django_assert_num_queries(len(few.captured_queries)):
        page = text_of(client.get(URL))

    assert "Extra 14" in page
    assert len(few.captured_queries) <= 20
