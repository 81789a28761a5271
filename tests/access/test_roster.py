"""The SO's roster through HTTP: adding people one by one (HARP ID required, a HARP ID held
by someone else refused, no one twice), finding and paging, a member's page, and the CSV
export (with spreadsheet formulas made inert)."""

import csv
import io

import pytest
from django.urls import reverse

from muster.access.models import AccessGrant, GrantStatus
from muster.accounts.models import ContractRole, User
from muster.audit.models import AuditEvent
from muster.audit.services import verify_chain
from muster.notifications.models import OutboxEmail
from tests.factories import UserFactory, give_role

from . import approve, text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def so(client, people):
    client.force_login(people["so"])
    return client


def add(client, contract, **data):
    fields = {"full_name": "Ada Lovelace", "email": "Ada@Example.com", "harp_id": "ALOVE01"}
    fields.update(data)
    return client.post(reverse("access:add_user", args=[contract.pk]), fields)


def test_the_so_adds_a_new_person_to_the_roster(so, people):
    mine = people["mine"]
    response = add(so, mine)

    assert response.status_code == 302
    ada = User.objects.get(email="ada@example.com")
    assert (ada.full_name, ada.harp_id) == ("Ada Lovelace", "ALOVE01")
    assert not ada.has_usable_password()
    assert mine.roles.filter(user=ada, role="contractor_user").exists()
    assert AuditEvent.objects.filter(action="access.user_added", contract=mine).count() == 1
    email = OutboxEmail.objects.get(template="user_added")
    assert email.to == [people["so"].email]
    assert email.subject == "Ada Lovelace added to the roster of Mine"
    page = text_of(so.get(response.url))
    assert "Ada Lovelace is on the roster." in page
    assert "ALOVE01" in page


def test_a_person_already_in_muster_is_reused(so, people):
    known = UserFactory(email="known@example.com", full_name="Known Person", harp_id="")
    response = add(so, people["mine"], email="KNOWN@example.com", full_name="Typed Name",
                   harp_id="KNOWN01")

    assert response.status_code == 302
    known.refresh_from_db()
    assert known.harp_id == "KNOWN01"  # filled in where it was missing
    assert known.full_name == "Known Person"
    assert User.objects.filter(email="known@example.com").count() == 1


@pytest.mark.parametrize(("data", "message"), [
    ({"harp_id": ""}, "This field is required."),
    ({"harp_id": "a b"}, "Enter a HARP ID"),
    ({"email": "not-an-email"}, "Enter a valid email address."),
    ({"full_name": ""}, "This field is required."),
])
def test_bad_input_is_shown_with_what_was_typed(so, people, data, message):
    response = add(so, people["mine"], **data)

    assert response.status_code == 400
    text = text_of(response)
    assert "<title>Error: Add a user" in text
    assert message in text
    assert 'id="error-summary"' in text
    assert 'value="Ada Lovelace"' in text or data.get("full_name") == ""
    assert not User.objects.filter(email="ada@example.com").exists()


def test_a_harp_id_held_by_someone_else_is_refused(so, people):
    holder = people["contractor_user"]
    response = add(so, people["mine"], harp_id=holder.harp_id.upper())

    assert response.status_code == 400
    assert f"HARP ID {holder.harp_id.upper()} belongs to someone else in Muster" in \
        text_of(response)
    assert not User.objects.filter(email="ada@example.com").exists()


def test_someone_already_on_the_roster_is_refused(so, people):
    member = people["contractor_user"]
    response = add(so, people["mine"], email=member.email, harp_id=member.harp_id)

    assert response.status_code == 400
    assert "already on the contract's roster" in text_of(response)
    assert ContractRole.objects.filter(user=member, role="contractor_user").count() == 1


def test_roster_finds_by_name_or_email_and_pages_by_fifty(so, people):
    mine = people["mine"]
    for n in range(60):
        give_role(UserFactory(full_name=f"Zed {n:02d}", email=f"zed{n}@example.org"), mine,
                  "contractor_user")
    url = reverse("access:roster", args=[mine.pk])

    first = text_of(so.get(url))
    assert "61 users on the roster" in first
    assert "Page 1 of 2" in first
    assert text_of(so.get(url, {"page": 2})).count('id="member-') == 11
    found = text_of(so.get(url, {"q": "ZED7@"}))
    assert "Zed 07" in found and "Zed 08" not in found and "Cody User" not in found
    assert "No user matches" in text_of(so.get(url, {"q": "nobody-like-this"}))


def test_the_search_finds_only_people_on_this_contracts_roster(so, people):
    # It reads the roster first, then matches those people's names and emails (issue 17):
    # a namesake elsewhere in Muster, or on another contract's roster, is neither listed
    # nor counted.
    mine = people["mine"]
    give_role(UserFactory(full_name="Quinn Here", email="quinn.here@example.org"), mine,
              "contractor_user")
    give_role(UserFactory(full_name="Quinn Elsewhere", email="quinn.else@example.org"),
              people["other"], "contractor_user")
    UserFactory(full_name="Quinn Nowhere", email="quinn.nowhere@example.org")
    url = reverse("access:roster", args=[mine.pk])

    found = text_of(so.get(url, {"q": "quinn"}))
    assert "1 user matches “quinn”" in found
    assert "Quinn Here" in found
    assert "Quinn Elsewhere" not in found and "Quinn Nowhere" not in found
    by_email = text_of(so.get(url, {"q": "QUINN.HERE@"}))
    assert "1 user matches" in by_email and "Quinn Here" in by_email


def test_the_filter_updates_only_the_results_with_htmx_and_the_whole_page_without(so, people):
    mine = people["mine"]
    give_role(UserFactory(full_name="Zed Zero", email="zed@example.org"), mine,
              "contractor_user")
    url = reverse("access:roster", args=[mine.pk])

    partial = text_of(so.get(url, {"q": "zed"}, headers={"HX-Request": "true"}))
    assert "1 user matches “zed”" in partial
    assert "Zed Zero" in partial and "Cody User" not in partial
    assert "<html" not in partial and "Roster of Mine</h1>" not in partial

    page = text_of(so.get(url, {"q": "zed"}))  # no JavaScript: a plain GET, the whole page
    assert "<html" in page and "Roster of Mine</h1>" in page
    assert "1 user matches “zed”" in page and "Cody User" not in page
    # The form submits to the page itself either way; htmx swaps the live results region
    # and keeps the URL in step.
    assert f'action="{url}"' in page and f'hx-get="{url}"' in page
    assert 'hx-target="#roster-results"' in page and 'hx-push-url="true"' in page
    assert '<div id="roster-results" aria-live="polite">' in page


def test_the_roster_page_makes_the_same_number_of_queries_for_more_members(
    so, people, django_assert_max_num_queries
):
    mine = people["mine"]
    service = approve(mine, "confluence")
    for _n in range(40):
        user = UserFactory()
        give_role(user, mine, "contractor_user")
        AccessGrant.objects.create(contract=mine, user=user, service=service,
                                   requested_by=people["so"])
    with django_assert_max_num_queries(25):
        assert so.get(reverse("access:roster", args=[mine.pk])).status_code == 200


def test_the_member_page_shows_grants_and_history(so, people):
    mine = people["mine"]
    approve(mine, "confluence")
    add(so, mine)
    ada = User.objects.get(email="ada@example.com")
    so.post(reverse("access:grant", args=[mine.pk]),
            {"user": ada.pk, "service": approve(mine, "confluence").pk, "origin": "member"})

    text = text_of(so.get(reverse("access:member", args=[mine.pk, ada.pk])))
    assert "<h1>Ada Lovelace</h1>" in text
    assert "CONFL_User" in text
    assert "Added Ada Lovelace to the roster" in text
    assert "Requested Ada Lovelace's access to Confluence" in text
    assert "Remove Ada Lovelace from the roster" in text
    # Someone who was never on the roster has no page here.
    assert so.get(reverse("access:member", args=[mine.pk, people["outsider"].pk])
                  ).status_code == 404


def test_export_lists_every_member_and_grant_as_csv(so, people):
    mine = people["mine"]
    confluence = approve(mine, "confluence")
    sas = approve(mine, "sas-viya")
    member = people["contractor_user"]
    AccessGrant.objects.create(contract=mine, user=member, service=confluence,
                               status=GrantStatus.ACTIVE, eua_job_code="CONFL_User",
                               requested_by=people["so"])
    AccessGrant.objects.create(contract=mine, user=member, service=sas,
                               status=GrantStatus.REVOKED, requested_by=people["so"])
    evil = UserFactory(full_name="=HYPERLINK(\"http://x\")", email="evil@example.com",
                       harp_id="EVIL01")
    give_role(evil, mine, "contractor_user")

    response = so.get(reverse("access:export", args=[mine.pk]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="roster-')
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["full_name", "email", "harp_id", "service", "status", "eua_job_code",
                       "eua_check"]
    assert ["Cody User", member.email, member.harp_id, "Confluence", "Active",
            "CONFL_User", "Not started"] in rows
    assert ["Cody User", member.email, member.harp_id, "SAS Viya", "Revoked", "",
            "Not started"] in rows
    assert ["'=HYPERLINK(\"http://x\")", "evil@example.com", "EVIL01", "", "", "",
            "Not started"] in rows
    assert len(rows) == 4


def test_the_contract_roster_is_not_for_outsiders_or_contractor_users(client, people):
    for role in ("outsider", "contractor_user", "sas_lead"):
        client.force_login(people[role])
        assert client.get(reverse("access:roster", args=[people["mine"].pk])).status_code == (
            403 if role == "sas_lead" else 404), role
        assert client.get(reverse("access:export", args=[people["mine"].pk])).status_code == (
            403 if role == "sas_lead" else 404), role


def test_every_roster_write_keeps_the_audit_chain_intact(so, people):
    add(so, people["mine"])
    assert verify_chain() == []


def test_each_roster_row_shows_the_person_their_access_and_what_each_viewer_may_do(
    client, people
):
    # The rows are written in Python (issue 17): every value escaped, every control
    # labelled, as the template drew them.
    mine = people["mine"]
    sas = approve(mine, "sas-viya")
    approve(mine, "confluence")
    sas.eua_job_code = "SAS<1>"
    sas.save(update_fields=["eua_job_code"])
    odd = UserFactory(full_name='<b>Al & "Bo" O\'Neil</b>', email="al@example.org",
                      harp_id="")
    give_role(odd, mine, "contractor_user")
    grant = AccessGrant.objects.create(
        contract=mine, user=odd, service=sas, status="requested",
        eua_job_code=sas.eua_job_code, requested_by=people["so"])
    url = reverse("access:roster", args=[mine.pk])

    client.force_login(people["so"])
    page = client.get(url, {"q": "al@"}).content.decode()
    assert "<b>Al" not in page
    name = "&lt;b&gt;Al &amp; &quot;Bo&quot; O&#x27;Neil&lt;/b&gt;"
    assert f'<a href="{url}{odd.pk}/">{name}</a>' in page
    assert '<td data-label="HARP ID">Not given</td>' in page
    assert "needs EUA job code <strong>SAS&lt;1&gt;</strong>" in page
    assert (f'<label class="usa-checkbox__label margin-top-0" for="select-{grant.pk}">'
            f'Select<span class="usa-sr-only"> {name}\'s SAS Viya access</span>') in page
    assert f"Revoke {name}'s SAS Viya access</button>" in page
    assert (f'<label class="usa-label margin-top-0" for="grant_{odd.pk}_service">'
            f"Grant {name} access to</label>") in page
    assert f'id="grant_{odd.pk}_service"><option value="" selected>' in page
    assert "Confluence (EUA job code CONFL_User)</option>" in page
    assert f'<option value="{sas.pk}">' not in page  # held already: not offered again
    assert f'name="next" value="{url}?q=al%40#member-{odd.pk}"' in page
    cody = text_of(client.get(url, {"q": "Cody"}))
    assert "No access yet." in cody

    client.force_login(people["onboarding_team"])
    team = client.get(url, {"q": "al@"}).content.decode()
    assert f"Confirm {name}'s SAS Viya access</button>" in team
    assert "Revoke " not in team and 'name="service"' not in team
