"""My work, the team's landing page, and assignment, through the pages, per role."""

import datetime
import re

import pytest
from django.utils import timezone

from muster import clock
from muster.audit.models import AuditEvent
from muster.notifications.models import OutboxEmail
from muster.work import queries
from muster.work.items import KINDS, _local_date, dates_of_place
from muster.work.models import Assignment
from muster.work.services import take

from ..factories import UserFactory, signed_in, team_member

pytestmark = pytest.mark.django_db


def rows(html: str) -> list[str]:
    """The ids of the item rows, in the order the page shows them."""
    return re.findall(r'<tr id="((?:onboarding|service-request|grant|closeout)-\d+)"', html)


def section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    end = html.find("</section>", start)
    return html[start:end]


def test_the_team_lands_on_my_work_overdue_first_then_by_due_date(client, people, items):
    html = signed_in(client, people["onboarding_team"]).get("/").content.decode()
    assert "<h1>My work</h1>" in html
    waiting = section(html, "waiting-heading")
    assert rows(waiting) == [
        f"grant-{items['late_grant'].pk}",  # due Nov 18: overdue
        f"service-request-{items['request'].pk}",  # due Dec 1, opened Nov 23
        f"grant-{items['grant'].pk}",  # the same: requests before grants
        f"onboarding-{items['onboarding'].pk}",  # due Dec 8
        f"closeout-{items['closeout'].pk}",  # due 2027
    ]
    # Veterans Day (Wed Nov 11) and Thanksgiving (Thu Nov 26) are not business days.
    assert "Overdue by 4 business days" in waiting
    assert "Due in 4 business days" in waiting
    assert "9 business days" in waiting  # the late grant's age (Nov 10 → Nov 24)
    assert "Nothing is assigned to you now." in html


@pytest.mark.parametrize("role", ["team_lead", "administrator"])
def test_the_lead_and_administrators_land_on_my_work_too(client, people, items, role):
    html = signed_in(client, people[role]).get("/").content.decode()
    assert "<h1>My work</h1>" in html and "Every open contract" not in html


@pytest.mark.parametrize("role", ["cor", "so", "outsider", "sas_lead"])
def test_everyone_else_keeps_the_contracts_home(client, people, items, role):
    html = signed_in(client, people[role]).get("/").content.decode()
    assert "My work</h1>" not in html and "Welcome," in html


@pytest.mark.parametrize("role", ["cor", "poc", "so", "spoc", "contractor_user", "outsider"])
def test_my_work_and_the_lists_are_the_teams(client, people, items, role):
    signed_in(client, people[role])
    for url in ("/work/", "/work/dashboard/", "/work/items/",
                f"/work/grant/{items['late_grant'].pk}/"):
        assert client.get(url).status_code in (403, 404), url


def test_taking_an_item_puts_it_first_in_my_work_audited(client, people, items):
    team = people["onboarding_team"]
    grant = items["late_grant"]
    response = signed_in(client, team).post(f"/work/grant/{grant.pk}/take/", {"next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    html = client.get("/").content.decode()
    assert "You took the access to confirm of Mine." in html
    assert rows(section(html, "assigned-heading")) == [f"grant-{grant.pk}"]
    assert f"grant-{grant.pk}" not in section(html, "waiting-heading")
    event = AuditEvent.objects.get(action="work.assigned")
    assert event.contract == people["mine"] and event.actor == team
    assert event.after == {"assignee": team.email}
    assert not OutboxEmail.objects.filter(template="work_assigned").exists()  # it is mine


def test_assigning_someone_emails_them_and_they_see_it_in_their_work(client, people, items):
    grant = items["late_grant"]
    lead = people["sas_lead"]
    signed_in(client, people["team_lead"]).post(
        f"/work/grant/{grant.pk}/assign/", {"assignee": lead.pk, "next": "/work/"})
    assert Assignment.objects.get(grant=grant).assignee == lead
    email = OutboxEmail.objects.get(template="work_assigned")
    assert email.to == [lead.email]
    assert "Assigned to you: access to confirm of Mine" in email.subject
    assert f"/access/contracts/{people['mine'].pk}/roster/" in email.body
    assert f"{people['team_lead'].full_name} assigned you the access to confirm of Mine" in (
        email.body)
    assert "It waits for: confirmation that the access is set up." in email.body
    event = AuditEvent.objects.get(action="work.assigned")
    assert event.summary == f"Assigned {lead.full_name} to the access to confirm of Mine"
    html = signed_in(client, lead).get("/work/").content.decode()
    assert rows(section(html, "assigned-heading")) == [f"grant-{grant.pk}"]


def test_an_item_goes_only_to_someone_who_may_work_it(client, people, items):
    signed_in(client, people["onboarding_team"])
    # A service lead works their service's grants and requests, not onboarding requests.
    response = client.post(f"/work/onboarding/{items['onboarding'].pk}/assign/",
                           {"assignee": people["sas_lead"].pk, "next": "/work/"}, follow=True)
    assert "Choose someone who may work on this item" in response.content.decode()
    # Nor another service's grant.
    client.post(f"/work/grant/{items['grant'].pk}/assign/",
                {"assignee": people["sas_lead"].pk, "next": "/work/"})
    assert not Assignment.objects.exists()
    assert not AuditEvent.objects.filter(action="work.assigned").exists()


def test_a_service_lead_works_only_their_services_items(client, people, items):
    lead = people["sas_lead"]
    html = signed_in(client, lead).get("/work/").content.decode()
    assert rows(html) == [f"grant-{items['late_grant'].pk}"]
    assert client.post(f"/work/grant/{items['late_grant'].pk}/take/").status_code == 302
    assert Assignment.objects.get().assignee == lead
    # Nobody else's: another service's grant is not theirs to see, nor to give out.
    assert client.post(f"/work/grant/{items['grant'].pk}/take/").status_code == 404
    assert client.post(f"/work/grant/{items['late_grant'].pk}/assign/",
                       {"assignee": people["onboarding_team"].pk}).status_code == 403
    assert client.get("/work/dashboard/").status_code == 403


def test_a_taken_item_is_not_taken_over_by_a_service_lead(client, people, items):
    grant = items["late_grant"]
    signed_in(client, people["onboarding_team"]).post(f"/work/grant/{grant.pk}/take/")
    response = signed_in(client, people["sas_lead"]).post(
        f"/work/grant/{grant.pk}/take/", {"next": "/work/"}, follow=True)
    assert "works on this already" in response.content.decode()
    assert Assignment.objects.get().assignee == people["onboarding_team"]


def test_unassign_gives_the_item_back_to_the_queue(client, people, items):
    grant = items["late_grant"]
    signed_in(client, people["team_lead"]).post(
        f"/work/grant/{grant.pk}/assign/", {"assignee": people["sas_lead"].pk})
    # Another service lead may not take it off its assignee; the assignee may give it back.
    other_lead = team_member("service_lead", service=grant.service)
    assert signed_in(client, other_lead).post(
        f"/work/grant/{grant.pk}/unassign/").status_code == 403
    html = signed_in(client, people["sas_lead"]).get("/work/").content.decode()
    assert "Give it back" in html
    client.post(f"/work/grant/{grant.pk}/unassign/", {"next": "/work/"})
    assert not Assignment.objects.exists()
    event = AuditEvent.objects.get(action="work.unassigned")
    assert event.before == {"assignee": people["sas_lead"].email}
    html = client.get("/work/").content.decode()
    assert "it is back in the queue" in html
    assert rows(section(html, "waiting-heading")) == [f"grant-{grant.pk}"]


def test_a_finished_item_can_no_longer_be_assigned(client, people, items):
    from muster.access.models import AccessGrant

    grant = items["late_grant"]
    AccessGrant.objects.filter(pk=grant.pk).update(status="active")
    signed_in(client, people["onboarding_team"])
    assert client.post(f"/work/grant/{grant.pk}/take/").status_code == 404
    assert client.get(f"/work/grant/{grant.pk}/").status_code == 404
    assert client.get("/work/nonsense/1/").status_code == 404


def test_the_next_address_never_leaves_the_site(client, people, items):
    grant = items["late_grant"]
    response = signed_in(client, people["onboarding_team"]).post(
        f"/work/grant/{grant.pk}/take/", {"next": "https://evil.example.com/"})
    assert response["Location"] == f"/work/grant/{grant.pk}/"


def test_a_get_never_assigns(client, people, items):
    signed_in(client, people["onboarding_team"])
    assert client.get(f"/work/grant/{items['grant'].pk}/take/").status_code == 405
    assert not Assignment.objects.exists()


def test_my_work_pages_its_lists(client, people, items, freeze_today):
    import datetime

    from . import requested_grant

    for _ in range(30):
        requested_grant(people["mine"], "sas-viya", datetime.date(2026, 11, 2))
    html = signed_in(client, people["onboarding_team"]).get("/work/").content.decode()
    assert len(rows(section(html, "waiting-heading"))) == 25
    assert "Page 1 of 2" in html
    second = client.get("/work/?page=2").content.decode()
    assert len(rows(section(second, "waiting-heading"))) == 10  # 35 in all
    assert client.get("/work/?page=99&mine=nonsense").status_code == 200


def test_an_inactive_person_is_not_offered(client, people, items):
    gone = team_member("onboarding_team", full_name="Gone Person", is_active=False)
    html = signed_in(client, people["onboarding_team"]).get("/work/").content.decode()
    assert "Gone Person" not in html
    client.post(f"/work/grant/{items['grant'].pk}/assign/", {"assignee": gone.pk})
    assert not Assignment.objects.exists()
    assert UserFactory  # the factory module is the people's source


def test_the_teams_lists_built_once_hold_what_the_orms_would(people, items):
    """For the team, my_lists reads each kind's rows with queries built once per process
    (muster/compiled.py): page by page, the same items in the same order, with the same
    due dates and assignees, as the ORM's queries for the same scope."""
    team = people["onboarding_team"]
    for key in ("grant", "closeout"):
        take(team, KINDS[key], items[{"grant": "late_grant"}.get(key, key)])
    today = clock.today()
    built_once = queries.my_lists(team, today)
    by_orm = queries.orm_lists(team, queries.scope(team), today)
    assert all(merged.read is not None for merged in built_once)

    def shown(merged, start, stop):
        return [(i.kind.key, i.pk, i.due, i.opened, i.assignee_id, i.assignee_name, i.title,
                 i.url) for i in merged[start:stop]]

    for (compiled, orm) in zip(built_once, by_orm, strict=True):
        assert compiled.known_counts == orm.known_counts  # kind by kind
        for start, stop in ((0, 1), (0, 2), (1, 3), (0, 25)):
            assert shown(compiled, start, stop) == shown(orm, start, stop)
    assert [i.pk for i in built_once[0][0:25]] == [items["late_grant"].pk,
                                                   items["closeout"].pk]
    assert len(built_once[1][0:25]) == 3


def test_a_list_row_makes_the_item_its_model_instance_makes(people, items):
    """Lists read each row's columns as values (Kind.list_row), not model instances: the
    item (title, waits for, due, age, assignee, link, service, contract) is the same."""
    take(people["onboarding_team"], KINDS["grant"], items["late_grant"])
    today = clock.today()

    def shown(item):
        return (item.pk, item.title, item.waits_on, item.due, item.opened, item.age,
                item.assignee_id, item.assignee_name, item.url, item.service_id,
                item.due_state, item.due_text, item.contract.pk, item.contract.name,
                item.contract.contract_number, item.sort_key)

    for kind in KINDS.values():
        instances = list(kind.open_rows())
        values = list(kind.open_rows().values_list(*kind.list_columns))
        assert instances and len(values) == len(instances)
        assert ([shown(kind.item(kind.list_row(v), today)) for v in values]
                == [shown(kind.item(row, today)) for row in instances])
        assert ([kind.values_sort_key(v) for v in values]
                == [kind.item(row, today).sort_key for row in instances])
        # A list's item takes its due and opened dates from its place in the merge.
        assert ([shown(kind.item(kind.list_row(v), today, place=kind.values_sort_key(v)))
                 for v in values] == [shown(kind.item(row, today)) for row in instances])


def test_the_candidates_built_once_are_the_orms(people, items):
    """Candidates.load reads the team's and the service leads' roles with a query built
    once per process: the same people, in the same order, as the ORM's query."""
    from muster.accounts import permissions
    from muster.accounts.models import TeamRole

    team_member("service_lead", service=items["request"].service, full_name="Al <Lead>")
    team_member("onboarding_team", full_name="Gone Person", is_active=False)
    by_orm = list(TeamRole.objects.filter(
        role__in=[*permissions.WORK_ASSIGNERS, permissions.SERVICE_LEAD], user__is_active=True)
        .values_list("user_id", "user__full_name", "role", "service_id")
        .order_by("user__full_name", "user_id"))
    assert queries._CANDIDATES.rows() == by_orm and len(by_orm) > 2


@pytest.mark.parametrize("key", list(KINDS))
def test_a_place_gives_back_the_dates_it_was_worked_out_from(key):
    """The merge's place of a row (Kind.sort_key) holds its due and opened dates, a missing
    one included: the item takes them from it (dates_of_place)."""
    kind, tz = KINDS[key], timezone.get_current_timezone()
    opened = datetime.datetime(2026, 11, 27, 22, 30, tzinfo=datetime.UTC)  # Friday evening
    stored = opened if kind.anchor_based else datetime.date(2026, 12, 4)
    for when_opened, when_stored in ((opened, stored), (None, stored), (opened, None),
                                     (None, None)):
        place = kind.sort_key(7, when_opened, when_stored, tz)
        assert dates_of_place(place) == (kind._due(when_stored, tz),
                                         _local_date(when_opened, tz))
