"""A roster member's EUA background check, recorded on their page (issue 16): the SO who
starts their users' checks and the onboarding team who sees them complete record it; the
history says so; the roster and its CSV show it; reconciliation's finding goes away."""

import csv
import io

import pytest
from django.urls import reverse

from muster.access.models import AccessGrant, GrantStatus
from muster.accounts.models import ContractRole
from muster.audit.models import AuditEvent
from muster.audit.services import verify_chain
from tests.factories import UserFactory, give_role

from . import approve, make_grant, text_of

pytestmark = pytest.mark.django_db
EUA = ContractRole.EuaCheck
MEMBER = ContractRole.Role.CONTRACTOR_USER


def url(people, user=None, name="access:eua_check"):
    return reverse(name, args=[people["mine"].pk, (user or people["contractor_user"]).pk])


def check_of(people, user=None) -> str:
    return ContractRole.objects.get(contract=people["mine"], role=MEMBER,
                                    user=user or people["contractor_user"]).eua_check


def record(client, people, status, user=None, **extra):
    return client.post(url(people, user), {"eua_check": status, **extra}, follow=True)


@pytest.mark.parametrize("role", ["so", "onboarding_team"])
def test_the_so_and_the_team_record_the_check_and_the_history_shows_it(client, people, role):
    client.force_login(people[role])
    page = text_of(client.get(url(people, name="access:member")))
    assert "EUA background check" in page and "Not started" in page
    assert f'action="{url(people)}"' in page

    response = record(client, people, EUA.INITIATED, seen=EUA.NOT_STARTED)

    assert response.redirect_chain[-1][0] == url(people, name="access:member")
    text = text_of(response)
    assert "Cody User's EUA background check is now “Initiated”." in text
    assert "Cody User's EUA background check: Initiated" in text  # the history
    assert check_of(people) == EUA.INITIATED
    event = AuditEvent.objects.get(action="contract.eua_check")
    assert (event.actor, event.contract, event.before["eua_check"], event.after["eua_check"]) \
        == (people[role], people["mine"], EUA.NOT_STARTED, EUA.INITIATED)
    assert verify_chain() == []


def test_the_same_status_again_changes_nothing_and_says_so(client, people):
    client.force_login(people["so"])
    text = text_of(record(client, people, EUA.NOT_STARTED))
    assert "Cody User's EUA background check is already “Not started”: nothing changed." in text
    assert not AuditEvent.objects.filter(action="contract.eua_check").exists()


def test_a_check_changed_since_the_page_was_opened_is_not_overwritten(client, people):
    ContractRole.objects.filter(contract=people["mine"], role=MEMBER).update(
        eua_check=EUA.COMPLETE)  # the team recorded it meanwhile
    client.force_login(people["so"])
    text = text_of(record(client, people, EUA.IN_PROGRESS, seen=EUA.INITIATED))
    assert "changed since you opened the page" in text and "“Complete”" in text
    assert check_of(people) == EUA.COMPLETE


@pytest.mark.parametrize("role,status", [
    ("cor", 403), ("spoc", 403), ("team_lead", 403), ("contractor_user", 404),
    ("other_cor", 404), ("outsider", 404)])
def test_others_may_not_record_it(client, people, role, status):
    client.force_login(people[role])
    assert client.post(url(people), {"eua_check": EUA.COMPLETE}).status_code == status
    assert check_of(people) == EUA.NOT_STARTED
    if status == 403:  # they see the status, without a form
        page = text_of(client.get(url(people, name="access:member")))
        assert "EUA background check" in page and "Not started" in page
        assert f'action="{url(people)}"' not in page


def test_another_contracts_so_may_not_record_it(client, people):
    stranger = UserFactory(full_name="Sid Elsewhere")
    give_role(stranger, people["other"], ContractRole.Role.SO)
    client.force_login(stranger)
    assert client.post(url(people), {"eua_check": EUA.COMPLETE}).status_code == 404
    assert check_of(people) == EUA.NOT_STARTED


def test_someone_not_on_the_roster_is_not_found(client, people):
    client.force_login(people["so"])
    response = client.post(url(people, people["outsider"]), {"eua_check": EUA.COMPLETE})
    assert response.status_code == 404
    assert "Otto Outsider" not in text_of(response)


def test_a_get_is_refused(client, people):
    client.force_login(people["so"])
    assert client.get(url(people)).status_code == 405


def test_an_invalid_status_shows_the_error_on_the_page_and_keeps_the_choice(client, people):
    client.force_login(people["so"])
    response = client.post(url(people), {"eua_check": "done-ish"})
    assert response.status_code == 400
    text = text_of(response)
    assert "<h1>Cody User</h1>" in text
    assert "There is a problem" in text and "Select a valid choice." in text
    assert 'href="#id_eua_check"' in text  # the summary links to the field
    assert '<option value="done-ish"' not in text
    assert check_of(people) == EUA.NOT_STARTED

    # A valid choice that the service refuses stays chosen: the page shows it again.
    response = client.post(url(people), {"eua_check": EUA.COMPLETE, "seen": "bogus"})
    assert response.status_code == 400
    assert '<option value="complete" selected>' in text_of(response)


def test_a_closed_contracts_roster_keeps_its_checks(client, people):
    from muster.contracts.models import Contract, Stage
    Contract.objects.filter(pk=people["mine"].pk).update(stage=Stage.CLOSED)
    client.force_login(people["onboarding_team"])
    text = text_of(record(client, people, EUA.COMPLETE))
    assert "This contract is closed" in text
    assert check_of(people) == EUA.NOT_STARTED


def test_the_member_page_says_which_grant_needs_the_check(client, people, freeze_today):
    freeze_today()
    make_grant(people, approve(people["mine"], "confluence"), GrantStatus.ACTIVE)
    client.force_login(people["cor"])
    needs = "Confluence needs the EUA check complete (CONFL_User)"
    assert needs in text_of(client.get(url(people, name="access:member")))

    ContractRole.objects.filter(contract=people["mine"], role=MEMBER).update(
        eua_check=EUA.COMPLETE)
    assert needs not in text_of(client.get(url(people, name="access:member")))


def test_the_roster_and_its_csv_show_each_members_check(client, people):
    ContractRole.objects.filter(contract=people["mine"], role=MEMBER).update(
        eua_check=EUA.IN_PROGRESS)
    client.force_login(people["spoc"])
    roster = text_of(client.get(reverse("access:roster", args=[people["mine"].pk])))
    assert ">EUA check</th>" in roster
    assert "In progress" in roster

    response = client.get(reverse("access:export", args=[people["mine"].pk]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][-1] == "eua_check"
    assert rows[1][0] == "Cody User" and rows[1][-1] == "In progress"


def test_the_roster_adds_no_query_per_member(client, people, django_assert_num_queries):
    mine = people["mine"]
    service = approve(mine, "confluence")
    client.force_login(people["so"])
    roster = reverse("access:roster", args=[mine.pk])
    client.get(roster)  # warm the session and caches

    def queries_for_the_page() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext
        with CaptureQueriesContext(connection) as captured:
            assert client.get(roster).status_code == 200
        return len(captured)

    few = queries_for_the_page()
    for n in range(15):
        user = UserFactory()
        ContractRole.objects.create(user=user, contract=mine, role=MEMBER,
                                    eua_check=list(EUA.values)[n % 5])
        AccessGrant.objects.create(contract=mine, user=user, service=service,
                                   requested_by=people["so"])
    with django_assert_num_queries(few):
        assert client.get(roster).status_code == 200


# --- Reconciliation's finding is fixed where it links ------------------------------------


@pytest.fixture
def scene(db, freeze_today):
    from tests.reconciliation.conftest import build
    return build(freeze_today)


def test_the_finding_goes_once_the_check_is_recorded_complete(client, scene):
    client.force_login(scene.team)
    ian, main = scene.people["Ian InProgress"], scene.contracts["Alder Analytics"]
    member = reverse("access:member", args=[main.pk, ian.pk])
    findings = text_of(client.get("/reconciliation/"))
    assert "8 findings in all." in findings
    assert "EUA background check not complete (1)" in findings
    assert f'href="{member}">Record the EUA check on the person\'s page' in findings

    page = text_of(client.get(member))
    assert "Confluence needs the EUA check complete (CONFL_User)" in page
    response = client.post(reverse("access:eua_check", args=[main.pk, ian.pk]),
                           {"eua_check": EUA.COMPLETE, "seen": EUA.IN_PROGRESS}, follow=True)
    assert "Ian InProgress's EUA background check is now “Complete”." in text_of(response)
    assert "needs the EUA check complete" not in text_of(response)

    findings = text_of(client.get("/reconciliation/"))
    assert "7 findings in all." in findings and "Ian InProgress" not in findings
