"""Access grants through HTTP, as each role: the SO grants approved services only (and a
DUA service only while the DUA is valid), the team or the service's lead confirms, the SO
revokes; every state change is on the audit record and emailed to the SO."""

import datetime

import pytest
from django.urls import reverse

from muster.access.models import AccessGrant, GrantStatus, PauseReason
from muster.audit.models import AuditEvent
from muster.catalog.models import Service
from muster.notifications.delivery import deliver_due
from muster.notifications.models import OutboxEmail
from tests.factories import TODAY, signed_in

from . import emails_about, give_dua, make_grant, text_of

pytestmark = pytest.mark.django_db


def post_grant(client, people, service, user=None, contract=None):
    contract = contract or people["mine"]
    user = user or people["contractor_user"]
    return client.post(reverse("access:grant", args=[contract.pk]),
                       {"user": user.pk, "service": service.pk, "origin": "member"})


# --- Granting ---------------------------------------------------------------------------


def test_so_grants_an_approved_service_with_its_eua_job_code(client, setup, mailoutbox):
    people = setup
    response = post_grant(signed_in(client, people["so"]), people, people["confluence"])

    assert response.status_code == 302
    grant = AccessGrant.objects.get()
    assert (grant.status, grant.eua_job_code) == (GrantStatus.REQUESTED, "CONFL_User")
    assert grant.requested_by == people["so"]
    event = AuditEvent.objects.get(action="access.requested")
    assert event.after["status"] == "requested" and event.actor == people["so"]
    deliver_due()
    assert [m.to for m in mailoutbox] == [[people["so"].email]]
    assert people["spoc"].email in mailoutbox[0].cc
    assert mailoutbox[0].subject == "Access requested: Cody User, Confluence on Mine"
    assert "CONFL_User" in mailoutbox[0].body
    page = client.get(response.url)
    assert "CONFL_User" in text_of(page)
    assert "Requested" in text_of(page)


@pytest.mark.parametrize("slug", ["jira-service-management", "pecos"])
def test_so_cannot_grant_a_service_that_is_not_approved(client, setup, slug):
    people = setup
    service = Service.objects.get(slug=slug)
    response = post_grant(signed_in(client, people["so"]), people, service)

    assert response.status_code == 400
    text = text_of(response)
    assert f"{service.name} is not an approved service on this contract" in text
    assert "<title>Error: " in text
    assert not AccessGrant.objects.exists()
    assert not OutboxEmail.objects.filter(template="access_changed").exists()


def test_the_grant_select_offers_approved_services_only(client, setup):
    people = setup
    page = signed_in(client, people["so"]).get(reverse("access:roster", args=[people["mine"].pk]))

    text = text_of(page)
    assert ">SAS Viya</option>" in text
    assert ">Confluence (EUA job code CONFL_User)</option>" in text
    assert "Jira Service Management</option>" not in text


def test_each_roster_row_offers_only_the_approved_services_the_person_does_not_hold(
    client, setup
):
    people = setup
    mine, member = people["mine"], people["contractor_user"]
    make_grant(people, people["confluence"])
    page = text_of(signed_in(client, people["so"]).get(
        reverse("access:roster", args=[mine.pk])))

    row = page.split(f'id="member-{member.pk}"')[1].split("</tr>")[0]
    assert f'<label class="usa-label margin-top-0" for="grant_{member.pk}_service">' \
        f"Grant {member.full_name} access to</label>" in row
    assert f'id="grant_{member.pk}_service"' in row and ">SAS Viya</option>" in row
    assert "Confluence (EUA job code CONFL_User)</option>" not in row
    assert f'name="user" value="{member.pk}"' in row and 'name="origin" value="roster"' in row


def test_so_cannot_see_or_change_another_contracts_roster(client, setup):
    people = setup
    client = signed_in(client, people["so"])
    other = people["other"]

    assert client.get(reverse("access:roster", args=[other.pk])).status_code == 404
    assert client.get(reverse("access:export", args=[other.pk])).status_code == 404
    response = post_grant(client, people, Service.objects.get(slug="confluence"),
                          contract=other)
    assert response.status_code == 404
    assert not AccessGrant.objects.exists()


@pytest.mark.parametrize("dua", ["none", "expired", "invalidated", "not-yet-effective"])
def test_so_cannot_grant_a_dua_service_while_the_dua_is_not_valid(client, setup, dua):
    people = setup
    mine = people["mine"]
    if dua == "expired":
        give_dua(mine, expiry=TODAY - datetime.timedelta(days=1))
    elif dua == "invalidated":
        give_dua(mine, invalidated=True)
    elif dua == "not-yet-effective":
        d = give_dua(mine)
        d.effective_date = TODAY + datetime.timedelta(days=3)
        d.save()
    response = post_grant(signed_in(client, people["so"]), people, people["sas"])

    assert response.status_code == 400
    assert ("You cannot grant SAS Viya while the contract's Data Use Agreement is not "
            "valid." in text_of(response))
    assert not AccessGrant.objects.exists()


def test_so_grants_a_dua_service_once_the_dua_is_valid(client, setup):
    people = setup
    give_dua(people["mine"], expiry=TODAY)  # valid through today
    response = post_grant(signed_in(client, people["so"]), people, people["sas"])

    assert response.status_code == 302
    assert AccessGrant.objects.get().service == people["sas"]


def test_a_second_live_grant_for_the_same_service_is_refused(client, setup):
    people = setup
    make_grant(people, people["confluence"], GrantStatus.ACTIVE)
    response = post_grant(signed_in(client, people["so"]), people, people["confluence"])

    assert response.status_code == 400
    assert "already has access to Confluence" in text_of(response)
    assert AccessGrant.objects.count() == 1


def test_a_person_not_on_the_roster_cannot_be_granted(client, setup):
    people = setup
    response = post_grant(signed_in(client, people["so"]), people, people["confluence"],
                          user=people["outsider"])

    assert response.status_code == 302
    page = client.get(response.url)
    assert "is not on this contract's roster" in text_of(page)
    assert not AccessGrant.objects.exists()


# --- Confirming -------------------------------------------------------------------------


def test_the_onboarding_team_confirms_a_requested_grant(client, setup, mailoutbox):
    people = setup
    grant = make_grant(people, people["confluence"])
    client = signed_in(client, people["onboarding_team"])
    pending = client.get(reverse("access:pending"))
    assert "Confirm Cody User's Confluence access" in text_of(pending)

    response = client.post(reverse("access:confirm_grant", args=[people["mine"].pk, grant.pk]),
                           {"next": reverse("access:pending")}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("access:pending")
    assert "access to Confluence is active" in text_of(response)
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE and grant.activated_at is not None
    event = AuditEvent.objects.get(action="access.confirmed")
    assert (event.before, event.after["status"]) == ({"status": "requested"}, "active")
    deliver_due()
    assert mailoutbox[-1].to == [people["so"].email]
    assert mailoutbox[-1].subject.startswith("Access confirmed (active): Cody User, Confluence")


def test_a_service_lead_confirms_their_service_only(client, setup):
    people = setup
    sas = make_grant(people, people["sas"])
    confluence = make_grant(people, people["confluence"])
    give_dua(people["mine"])
    client = signed_in(client, people["sas_lead"])

    pending = text_of(client.get(reverse("access:pending")))
    assert "Cody User's SAS Viya access" in pending
    assert "Confluence access" not in pending
    mine = people["mine"].pk
    assert client.post(reverse("access:confirm_grant", args=[mine, confluence.pk])
                       ).status_code == 403
    assert client.post(reverse("access:confirm_grant", args=[mine, sas.pk])).status_code == 302
    sas.refresh_from_db()
    confluence.refresh_from_db()
    assert (sas.status, confluence.status) == (GrantStatus.ACTIVE, GrantStatus.REQUESTED)


def test_confirming_a_dua_service_needs_a_valid_dua(client, setup):
    people = setup
    grant = make_grant(people, people["sas"])
    give_dua(people["mine"], invalidated=True)
    response = signed_in(client, people["onboarding_team"]).post(
        reverse("access:confirm_grant", args=[people["mine"].pk, grant.pk]), follow=True)

    assert "You cannot confirm SAS Viya while the contract" in text_of(response)
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REQUESTED
    assert not AuditEvent.objects.filter(action="access.confirmed").exists()


@pytest.mark.parametrize("role", ["so", "cor", "team_lead", "contractor_user"])
def test_others_cannot_confirm(client, setup, role):
    people = setup
    grant = make_grant(people, people["confluence"])
    response = signed_in(client, people[role]).post(
        reverse("access:confirm_grant", args=[people["mine"].pk, grant.pk]))

    assert response.status_code == (404 if role == "contractor_user" else 403)
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REQUESTED


def test_the_so_does_not_see_the_pending_queue(client, setup):
    assert signed_in(client, setup["so"]).get(reverse("access:pending")).status_code == 403


def test_an_active_grant_cannot_be_confirmed_again(client, setup):
    people = setup
    grant = make_grant(people, people["confluence"], GrantStatus.ACTIVE)
    response = signed_in(client, people["onboarding_team"]).post(
        reverse("access:confirm_grant", args=[people["mine"].pk, grant.pk]), follow=True)

    assert "only a requested access can be confirmed" in text_of(response)
    assert not emails_about(grant).exists()


# --- Revoking and removing ----------------------------------------------------------------


def test_the_so_revokes_a_grant(client, setup, mailoutbox):
    people = setup
    grant = make_grant(people, people["confluence"], GrantStatus.ACTIVE)
    client = signed_in(client, people["so"])
    url = reverse("access:revoke_grant", args=[people["mine"].pk, grant.pk])

    response = client.post(url, follow=True)
    assert "Revoked Cody User's access to Confluence" in text_of(response)
    grant.refresh_from_db()
    assert (grant.status, grant.revoked_by) == (GrantStatus.REVOKED, people["so"])
    event = AuditEvent.objects.get(action="access.revoked")
    assert (event.before, event.after["status"]) == ({"status": "active"}, "revoked")
    assert emails_about(grant).get().to == [people["so"].email]

    again = client.post(url, follow=True)
    assert "already revoked" in text_of(again)
    assert AuditEvent.objects.filter(action="access.revoked").count() == 1


def test_the_so_removes_a_user_and_every_live_grant_is_revoked(client, setup):
    people = setup
    active = make_grant(people, people["confluence"], GrantStatus.ACTIVE)
    paused = make_grant(people, people["sas"], GrantStatus.PAUSED)
    mine, user = people["mine"], people["contractor_user"]

    response = signed_in(client, people["so"]).post(
        reverse("access:remove_user", args=[mine.pk, user.pk]), follow=True)

    assert "Cody User is off the roster. Revoked 2 access grants." in text_of(response)
    assert not mine.roles.filter(user=user, role="contractor_user").exists()
    assert set(AccessGrant.objects.values_list("status", flat=True)) == {"revoked"}
    assert AuditEvent.objects.filter(action="access.revoked").count() == 2
    assert AuditEvent.objects.filter(action="access.user_removed").count() == 1
    email = OutboxEmail.objects.get(template="access_changed")
    assert email.to == [people["so"].email]
    assert "Confluence" in email.body and "SAS Viya" in email.body
    # The history stays: the member page still shows the revoked grants.
    page = text_of(client.get(reverse("access:member", args=[mine.pk, user.pk])))
    assert "no longer on the roster" in page and "Revoked" in page
    assert {active.pk, paused.pk} == set(AccessGrant.objects.values_list("pk", flat=True))


# --- Read-only roles and the contractor user -------------------------------------------------


def test_the_cor_sees_the_roster_read_only(client, setup):
    people = setup
    grant = make_grant(people, people["confluence"])
    mine, user = people["mine"], people["contractor_user"]
    client = signed_in(client, people["cor"])

    page = client.get(reverse("access:roster", args=[mine.pk]))
    text = text_of(page)
    assert page.status_code == 200
    assert "Cody User" in text and "CONFL_User" in text
    for form_text in ("Add to the roster", "Grant access", "Revoke ", "Import users",
                      "Confirm "):
        assert form_text not in text
    posts = [
        (reverse("access:add_user", args=[mine.pk]),
         {"full_name": "X Y", "email": "xy@example.com", "harp_id": "XY001"}),
        (reverse("access:grant", args=[mine.pk]),
         {"user": user.pk, "service": people["confluence"].pk}),
        (reverse("access:revoke_grant", args=[mine.pk, grant.pk]), {}),
        (reverse("access:remove_user", args=[mine.pk, user.pk]), {}),
        (reverse("access:import", args=[mine.pk]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REQUESTED
    assert mine.roles.filter(role="contractor_user").count() == 1


def test_the_team_sees_confirm_buttons_on_the_roster(client, setup):
    people = setup
    make_grant(people, people["confluence"])
    text = text_of(signed_in(client, people["onboarding_team"]).get(
        reverse("access:roster", args=[people["mine"].pk])))

    assert "Confirm Cody User's Confluence access" in text
    assert "Grant access" not in text and "Revoke " not in text


def test_the_contractor_user_sees_only_their_own_access(client, setup):
    people = setup
    make_grant(people, people["confluence"], GrantStatus.ACTIVE)
    paused = make_grant(people, people["sas"], GrantStatus.PAUSED)
    AccessGrant.objects.filter(pk=paused.pk).update(pause_reason=PauseReason.DUA_LAPSED)
    someone = people["spoc"]
    AccessGrant.objects.create(contract=people["mine"], user=someone,
                               service=Service.objects.get(slug="jira-service-management"),
                               requested_by=people["so"])
    client = signed_in(client, people["contractor_user"])

    page = client.get(reverse("access:mine"))
    text = text_of(page)
    assert page.status_code == 200
    assert "Confluence" in text and "CONFL_User" in text and "Active" in text
    assert "Paused because the contract's Data Use Agreement is not valid" in text
    assert "Jira" not in text
    assert client.get(reverse("access:roster", args=[people["mine"].pk])).status_code == 404
    assert client.get(reverse("access:member", args=[people["mine"].pk, someone.pk])
                      ).status_code == 404


def test_someone_without_access_is_told_so(client, setup):
    text = text_of(signed_in(client, setup["outsider"]).get(reverse("access:mine")))
    assert "You have no access to any service yet." in text


def test_state_changes_leave_one_audit_row_and_one_email_each(client, setup):
    """requested → active → revoked: three audit rows, three emails to the SO."""
    people = setup
    mine = people["mine"]
    post_grant(signed_in(client, people["so"]), people, people["confluence"])
    grant = AccessGrant.objects.get()
    signed_in(client, people["confluence_lead"]).post(
        reverse("access:confirm_grant", args=[mine.pk, grant.pk]))
    signed_in(client, people["so"]).post(reverse("access:revoke_grant", args=[mine.pk, grant.pk]))

    actions = list(AuditEvent.objects.filter(object_type="access.accessgrant")
                   .order_by("id").values_list("action", flat=True))
    assert actions == ["access.requested", "access.confirmed", "access.revoked"]
    keys = sorted(emails_about(grant).values_list("key", flat=True))
    assert keys == [f"grant:{grant.pk}:{s}" for s in ("active", "requested", "revoked")]
    assert all(e.to == [people["so"].email] for e in emails_about(grant))


def test_a_grant_state_changes_only_through_its_transitions(setup):
    grant = make_grant(setup, setup["confluence"])
    with pytest.raises(AttributeError, match="Direct status modification is not allowed"):
        grant.status = GrantStatus.ACTIVE
    AccessGrant.objects.filter(pk=grant.pk).update(status=GrantStatus.PAUSED)
    grant.refresh_from_db()  # reading the row again is not an assignment
    assert grant.status == GrantStatus.PAUSED
