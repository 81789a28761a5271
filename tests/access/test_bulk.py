"""Bulk grant actions (issue 14): the team and service leads confirm several rows of the
access waiting for confirmation at once; the SO revokes several grants of the roster at
once. Each grant goes through the single action's service (its checks, audit row and
email), a refused grant stops none of the others, and the page the person returns to says
what was done and what was refused, grant by grant, with the reason."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from muster.access import grants
from muster.access.bulk import MAX_ITEMS
from muster.access.models import AccessGrant, GrantStatus
from muster.accounts.models import ContractRole, User
from muster.audit.models import AuditEvent
from tests.factories import UserFactory, give_role, signed_in

from . import approve, emails_about, give_dua, make_grant, text_of

pytestmark = pytest.mark.django_db

CONFIRM = reverse("access:confirm_grants")
PENDING = reverse("access:pending")
NO_SUCH = "There is no such access grant among those you can act on."
NOT_THEIRS = "Only the onboarding team or a lead of this service can confirm it."


def member(people, name):
    user = UserFactory(full_name=name)
    give_role(user, people["mine"], ContractRole.Role.CONTRACTOR_USER)
    return user


def grant_to(contract, user, service, so, status=GrantStatus.REQUESTED):
    return AccessGrant.objects.create(contract=contract, user=user, service=service,
                                      status=status, eua_job_code=service.eua_job_code,
                                      requested_by=so)


@pytest.fixture
def world(setup):
    """Requested on `mine`: Cody's SAS Viya (the DUA is valid) and Confluence, Dana's
    Confluence; on `other`, Olive's Confluence."""
    p = setup
    give_dua(p["mine"])
    dana = member(p, "Dana Dev")
    other = p["other"]
    approve(other, "confluence")
    olive = UserFactory(full_name="Olive Other")
    give_role(olive, other, ContractRole.Role.CONTRACTOR_USER)
    give_role(UserFactory(full_name="Oscar Other SO"), other, ContractRole.Role.SO)
    p["g"] = {
        "cody_sas": make_grant(p, p["sas"]),
        "cody_wiki": make_grant(p, p["confluence"]),
        "dana_wiki": grant_to(p["mine"], dana, p["confluence"], p["so"]),
        "olive_wiki": grant_to(other, olive, p["confluence"], p["other_cor"]),
    }
    return p


def confirm(client, person, *items, follow=True, **data):
    signed_in(client, person)
    return client.post(CONFIRM, {"grant": [str(g.pk) for g in items], "next": PENDING,
                                 **data}, follow=follow)


def state(item) -> str:
    return AccessGrant.objects.get(pk=item.pk).status


def summary_of(response) -> str:
    page = text_of(response)
    start = page.index('id="bulk-summary"')
    return page[start:page.index("</div>\n</div>", start)]


# --- Confirming several ---------------------------------------------------------------


def test_the_pending_list_has_a_labelled_checkbox_per_row_and_one_form(client, world):
    g = world["g"]
    page = text_of(signed_in(client, world["onboarding_team"]).get(PENDING))
    for item, label in ((g["cody_sas"], "Cody User's SAS Viya access on Mine"),
                        (g["olive_wiki"], "Olive Other's Confluence access on Other")):
        assert (f'<input class="usa-checkbox__input" id="select-{item.pk}" type="checkbox" '
                f'name="grant" value="{item.pk}" form="bulk-confirm">') in page
        assert f'for="select-{item.pk}">Select<span class="usa-sr-only"> {label}</span>' in page
    assert f'<form id="bulk-confirm" method="post" action="{CONFIRM}"' in page
    form = page[page.index('<form id="bulk-confirm"'):]
    form = form[:form.index("</form>")]
    assert 'name="csrfmiddlewaretoken"' in form and f'name="next" value="{PENDING}"' in form
    assert "Confirm the selected access" in form
    assert f"up to {MAX_ITEMS} at a time" in page


def test_the_team_confirms_several_each_as_the_single_action_does(client, world):
    g = world["g"]
    chosen = [g["cody_sas"], g["dana_wiki"], g["olive_wiki"]]
    response = confirm(client, world["onboarding_team"], *chosen)

    assert response.redirect_chain == [(PENDING, 302)]
    summary = summary_of(response)
    assert "Confirmed 3 of the 3 access grants you selected" in summary
    for label in ("Cody User's SAS Viya access on Mine", "Dana Dev's Confluence access on Mine",
                  "Olive Other's Confluence access on Other"):
        assert f"<li>{label}</li>" in summary
    assert "Not confirmed" not in summary and "usa-alert--success" in text_of(response)
    for item in chosen:
        assert state(item) == GrantStatus.ACTIVE
        assert AccessGrant.objects.get(pk=item.pk).activated_at is not None
        # The single action's audit row and email, one each per grant.
        event = AuditEvent.objects.get(action="access.confirmed", object_id=str(item.pk))
        assert event.actor == world["onboarding_team"]
        assert [e.key for e in emails_about(item)] == [f"grant:{item.pk}:active"]
    assert state(g["cody_wiki"]) == GrantStatus.REQUESTED  # not selected, not touched
    # The summary is shown once: the list again does not repeat it.
    assert 'id="bulk-summary"' not in text_of(client.get(PENDING))


def test_a_refused_grant_stops_none_of_the_others_and_says_why(client, world):
    g = world["g"]
    world["mine"].duas.update(invalidated_at="2026-01-01T00:00:00Z")  # SAS Viya: no DUA now
    active = g["cody_wiki"]
    AccessGrant.objects.filter(pk=active.pk).update(status=GrantStatus.ACTIVE)

    response = confirm(client, world["onboarding_team"], g["cody_sas"], active, g["dana_wiki"])

    summary = summary_of(response)
    assert "Confirmed 1 of the 3 access grants you selected" in summary
    assert "<li>Dana Dev's Confluence access on Mine</li>" in summary
    assert ("<strong>Cody User's SAS Viya access on Mine</strong>: You cannot confirm SAS "
            "Viya while the contract's Data Use Agreement is not valid.") in summary
    assert ("<strong>Cody User's Confluence access on Mine</strong>: This access is active: "
            "only a requested access can be confirmed.") in summary
    assert "usa-alert--warning" in text_of(response)
    assert state(g["dana_wiki"]) == GrantStatus.ACTIVE
    assert state(g["cody_sas"]) == GrantStatus.REQUESTED
    assert not emails_about(g["cody_sas"]).exists() and not emails_about(active).exists()
    assert AuditEvent.objects.filter(action="access.confirmed").count() == 1


def test_a_lead_of_another_service_confirms_theirs_and_is_refused_the_rest(client, world):
    g = world["g"]
    response = confirm(client, world["confluence_lead"], g["cody_sas"], g["cody_wiki"],
                       g["olive_wiki"])

    summary = summary_of(response)
    assert "Confirmed 2 of the 3 access grants you selected" in summary
    assert f"<strong>Cody User's SAS Viya access on Mine</strong>: {NOT_THEIRS}" in summary
    assert state(g["cody_sas"]) == GrantStatus.REQUESTED
    assert state(g["cody_wiki"]) == state(g["olive_wiki"]) == GrantStatus.ACTIVE


def test_the_services_lead_confirms_theirs_and_learns_nothing_of_a_contract_they_cannot_see(
        client, world):
    g = world["g"]
    response = confirm(client, world["sas_lead"], g["cody_sas"], g["olive_wiki"])

    summary = summary_of(response)
    assert "Confirmed 1 of the 2 access grants you selected" in summary
    assert "<li>Cody User's SAS Viya access on Mine</li>" in summary
    assert f"<strong>Access grant {g['olive_wiki'].pk}</strong>: {NO_SUCH}" in summary
    assert "Olive" not in text_of(response) and "Other" not in summary
    assert state(g["cody_sas"]) == GrantStatus.ACTIVE
    assert state(g["olive_wiki"]) == GrantStatus.REQUESTED


@pytest.mark.parametrize("role", ["so", "cor", "poc", "contractor_user", "team_lead",
                                  "outsider"])
def test_who_does_not_confirm_access_is_refused_and_nothing_changes(client, world, role):
    g = world["g"]
    response = confirm(client, world[role], *g.values(), follow=False)
    assert response.status_code == 403
    assert not AccessGrant.objects.filter(status=GrantStatus.ACTIVE).exists()
    assert not AuditEvent.objects.filter(action="access.confirmed").exists()


def test_the_bulk_actions_are_post_only(client, world):
    signed_in(client, world["onboarding_team"])
    assert client.get(CONFIRM).status_code == 405
    signed_in(client, world["so"])
    assert client.get(reverse("access:revoke_grants", args=[world["mine"].pk])).status_code == 405


@pytest.mark.parametrize(("picked", "message"), [
    ([], "Select at least one access grant first. Nothing was changed."),
    (["1", "x"], "That selection is not a list of access grants. Nothing was changed"),
    ([str(n) for n in range(10**6, 10**6 + MAX_ITEMS + 1)],
     f"You selected {MAX_ITEMS + 1} access grants: at most {MAX_ITEMS} can be changed at "
     "once. Nothing was changed"),
])
def test_no_selection_a_bad_one_or_too_many_change_nothing(client, world, picked, message):
    g = world["g"]
    if len(picked) > MAX_ITEMS:
        picked[:2] = [str(g["cody_wiki"].pk), str(g["dana_wiki"].pk)]
    signed_in(client, world["onboarding_team"])
    response = client.post(CONFIRM, {"grant": picked, "next": PENDING}, follow=True)
    assert response.redirect_chain == [(PENDING, 302)]
    assert message in text_of(response)
    assert 'id="bulk-summary"' not in text_of(response)
    assert not AccessGrant.objects.filter(status=GrantStatus.ACTIVE).exists()


def test_exactly_the_cap_goes_through_and_a_grant_selected_twice_counts_once(client, world):
    g = world["g"]
    picked = [str(g["dana_wiki"].pk)] * 2 + [str(n) for n in range(10**6, 10**6 + MAX_ITEMS - 1)]
    signed_in(client, world["onboarding_team"])
    summary = summary_of(client.post(CONFIRM, {"grant": picked}, follow=True))
    assert f"Confirmed 1 of the {MAX_ITEMS} access grants you selected" in summary
    assert state(g["dana_wiki"]) == GrantStatus.ACTIVE


def test_each_grant_costs_no_more_queries_than_the_single_action(client, world):
    """The list is read once; each more grant adds at most what confirming it alone costs."""
    g = world["g"]
    team = world["onboarding_team"]

    def bulk(*items) -> int:
        signed_in(client, team)
        client.get(PENDING)  # first-use caches (content types, the session) are not ours
        with CaptureQueriesContext(connection) as captured:
            client.post(CONFIRM, {"grant": [str(i.pk) for i in items]})
        return len(captured)

    one = bulk(g["cody_wiki"])
    three = bulk(g["cody_sas"], g["dana_wiki"], g["olive_wiki"])
    single = grant_to(world["mine"], User.objects.get(full_name="Dana Dev"),
                      world["sas"], world["so"])
    with CaptureQueriesContext(connection) as alone:
        grants.confirm(User.objects.get(pk=team.pk), single)  # as a new request's user
    assert state(single) == GrantStatus.ACTIVE
    assert three - one <= 2 * len(alone), (one, three, len(alone))


# --- Revoking several -----------------------------------------------------------------


def revoke(client, person, contract, *items, follow=True):
    signed_in(client, person)
    roster = reverse("access:roster", args=[contract.pk])
    return client.post(reverse("access:revoke_grants", args=[contract.pk]),
                       {"grant": [str(g.pk) for g in items], "next": roster}, follow=follow)


def test_the_roster_has_a_labelled_checkbox_per_live_grant_for_the_so(client, world):
    g = world["g"]
    mine = world["mine"]
    AccessGrant.objects.filter(pk=g["cody_wiki"].pk).update(status=GrantStatus.REVOKED)
    page = text_of(signed_in(client, world["so"]).get(reverse("access:roster", args=[mine.pk])))
    action = reverse("access:revoke_grants", args=[mine.pk])
    assert f'<form id="bulk-revoke" method="post" action="{action}"' in page
    assert "Revoke the selected access" in page
    assert (f'value="{g["cody_sas"].pk}" form="bulk-revoke"><label class="usa-checkbox__label '
            f'margin-top-0" for="select-{g["cody_sas"].pk}">Select<span class="usa-sr-only"> '
            "Cody User's SAS Viya access</span>") in page
    assert f'value="{g["cody_wiki"].pk}" form="bulk-revoke"' not in page  # already revoked
    # Those who only see the roster get neither checkboxes nor the form.
    for role in ("cor", "onboarding_team"):
        page = text_of(signed_in(client, world[role]).get(reverse("access:roster",
                                                                  args=[mine.pk])))
        assert 'form="bulk-revoke"' not in page and 'id="bulk-revoke"' not in page


def test_the_so_revokes_several_each_as_the_single_action_does(client, world):
    g = world["g"]
    mine = world["mine"]
    AccessGrant.objects.filter(pk=g["cody_wiki"].pk).update(status=GrantStatus.ACTIVE)
    chosen = [g["cody_sas"], g["cody_wiki"], g["dana_wiki"]]

    response = revoke(client, world["so"], mine, *chosen)

    assert response.redirect_chain == [(reverse("access:roster", args=[mine.pk]), 302)]
    summary = summary_of(response)
    assert "Revoked 3 of the 3 access grants you selected" in summary
    for label in ("Cody User's SAS Viya access", "Cody User's Confluence access",
                  "Dana Dev's Confluence access"):
        assert f"<li>{label}</li>" in summary
    for item in chosen:
        fresh = AccessGrant.objects.get(pk=item.pk)
        assert fresh.status == GrantStatus.REVOKED and fresh.revoked_by == world["so"]
        assert AuditEvent.objects.filter(action="access.revoked",
                                         object_id=str(item.pk)).count() == 1
        assert [e.key for e in emails_about(item)] == [f"grant:{item.pk}:revoked"]


def test_a_grant_of_another_contract_or_already_revoked_is_refused_the_rest_revoked(
        client, world):
    g = world["g"]
    AccessGrant.objects.filter(pk=g["cody_wiki"].pk).update(status=GrantStatus.REVOKED)

    response = revoke(client, world["so"], world["mine"], g["olive_wiki"], g["cody_wiki"],
                      g["dana_wiki"])

    summary = summary_of(response)
    assert "Revoked 1 of the 3 access grants you selected" in summary
    assert f"<strong>Access grant {g['olive_wiki'].pk}</strong>: {NO_SUCH}" in summary
    assert ("<strong>Cody User's Confluence access</strong>: This access is already "
            "revoked. Nothing was changed.") in summary
    assert "Olive" not in text_of(response)
    assert state(g["olive_wiki"]) == GrantStatus.REQUESTED
    assert state(g["dana_wiki"]) == GrantStatus.REVOKED
    assert not emails_about(g["cody_wiki"]).exists()


@pytest.mark.parametrize(("role", "status"), [
    ("cor", 403), ("spoc", 403), ("onboarding_team", 403), ("sas_lead", 403),
    ("confluence_lead", 403), ("other_cor", 404), ("outsider", 404),
])
def test_only_the_so_revokes_in_bulk(client, world, role, status):
    g = world["g"]
    response = revoke(client, world[role], world["mine"], g["cody_sas"], g["dana_wiki"],
                      follow=False)
    assert response.status_code == status
    assert not AccessGrant.objects.filter(status=GrantStatus.REVOKED).exists()
    assert not AuditEvent.objects.filter(action="access.revoked").exists()


def test_the_summary_of_one_roster_is_not_shown_on_another(client, world):
    g = world["g"]
    other = world["other"]
    other.roles.filter(role=ContractRole.Role.SO).delete()
    give_role(world["so"], other, ContractRole.Role.SO)
    revoke(client, world["so"], world["mine"], g["dana_wiki"], follow=False)
    page = text_of(client.get(reverse("access:roster", args=[other.pk])))
    assert 'id="bulk-summary"' not in page
