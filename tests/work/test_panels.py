"""Who works on an item, shown and changed where people already work on it: the onboarding
request's page, the additional-service request's page, the closeout page, and each row of
the access waiting for confirmation."""

import pytest

from muster.work.models import Assignment

from ..factories import signed_in

pytestmark = pytest.mark.django_db


def pages(people, items):
    return {
        "onboarding": f"/onboarding/contracts/{people['mine'].pk}/request/",
        "service-request": f"/access/service-requests/{items['request'].pk}/",
        "closeout": f"/closeout/contracts/{people['mine'].pk}/closeout/",
    }


@pytest.mark.parametrize("kind", ["onboarding", "service-request", "closeout"])
def test_the_team_takes_an_item_on_its_own_page(client, people, items, kind):
    url = pages(people, items)[kind]
    html = signed_in(client, people["onboarding_team"]).get(url).content.decode()
    assert "Who works on this" in html and "Nobody yet" in html
    assert "Take it" in html
    item = items["request" if kind == "service-request" else kind]
    response = client.post(f"/work/{kind}/{item.pk}/take/", {"next": url}, follow=True)
    assert response.redirect_chain[-1][0] == url
    html = response.content.decode()
    assert f"{people['onboarding_team'].full_name} (you)" in html
    assert "Give it back" in html
    assert Assignment.objects.get().item == item


@pytest.mark.parametrize("role", ["cor", "poc", "so"])
def test_the_contracts_people_do_not_see_the_teams_assignment(client, people, items, role):
    signed_in(client, people["onboarding_team"]).post(
        f"/work/onboarding/{items['onboarding'].pk}/take/")
    html = signed_in(client, people[role]).get(pages(people, items)["onboarding"])
    assert "Who works on this" not in html.content.decode()


def test_the_team_lead_assigns_from_the_request_page(client, people, items):
    url = pages(people, items)["onboarding"]
    html = signed_in(client, people["team_lead"]).get(url).content.decode()
    assert f'<option value="{people["onboarding_team"].pk}">' in html
    assert f'<option value="{people["sas_lead"].pk}">' not in html  # not a service's item
    client.post(f"/work/onboarding/{items['onboarding'].pk}/assign/",
                {"assignee": people["onboarding_team"].pk, "next": url})
    html = client.get(url).content.decode()
    assert people["onboarding_team"].full_name in html and "Unassign" in html


def test_a_service_request_offers_its_services_leads(client, people, items):
    from ..factories import team_member

    slack_lead = team_member("service_lead", service=items["request"].service,
                             full_name="Sky Slack-Lead")
    html = signed_in(client, people["onboarding_team"]).get(
        pages(people, items)["service-request"]).content.decode()
    assert f'<option value="{slack_lead.pk}">Sky Slack-Lead</option>' in html


def test_a_finished_item_shows_no_assignment(client, people, items):
    from muster.closeout.models import Closeout

    Closeout.objects.filter(pk=items["closeout"].pk).update(status="access_removed")
    html = signed_in(client, people["onboarding_team"]).get(
        pages(people, items)["closeout"]).content.decode()
    assert "Who works on this" not in html


def test_each_access_to_confirm_row_says_who_works_on_it(client, people, items):
    grant = items["late_grant"]
    signed_in(client, people["sas_lead"]).post(f"/work/grant/{grant.pk}/take/")
    html = signed_in(client, people["onboarding_team"]).get("/access/pending/").content.decode()
    assert f"Assigned to: {people['sas_lead'].full_name}." in html
    assert "Assigned to: nobody yet." in html  # the Confluence grant
    link = f'/work/grant/{items["grant"].pk}/?next=/access/pending/'
    assert link in html
    # The link's page takes it and comes back to the list.
    page = client.get(link).content.decode()
    assert 'name="next" value="/access/pending/"' in page
    response = client.post(f"/work/grant/{items['grant'].pk}/take/",
                           {"next": "/access/pending/"}, follow=True)
    assert response.redirect_chain[-1][0] == "/access/pending/"
    assert f"Assigned to: {people['onboarding_team'].full_name} (you)." in (
        response.content.decode())
