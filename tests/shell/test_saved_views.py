"""Saved views on the contract list: a person saves the filters shown under a name, finds
them on the list, opens, renames and deletes them; nobody else sees or touches them."""

import re

import pytest
from django.urls import reverse

from muster.audit.models import AuditEvent
from muster.contracts.models import SavedView, Stage

from ..factories import make_contract
from ..pages import html_of, text_of

pytestmark = pytest.mark.django_db


def save(client, name, query):
    return client.post(reverse("contracts:saved_views"), {"name": name, "query": query})


def saved_links(page_html: str) -> list[tuple[str, str]]:
    nav = re.search(r'<nav[^>]*aria-labelledby="saved-views-heading".*?</nav>', page_html,
                    re.DOTALL)
    if not nav:
        return []
    return [(label, href.replace("&amp;", "&")) for href, label in
            re.findall(r'<a class="usa-link" href="([^"]+)"[^>]*>([^<]+)</a>', nav.group(0))
            if "views" not in href]


def test_the_team_saves_the_filters_shown_and_opens_them_from_the_list(client, people):
    team = people["onboarding_team"]
    client.force_login(team)
    service = people["other"].services.get().service
    list_page = html_of(client.get(reverse("contracts:list"),
                                   {"stage": "solicitation", "service": service.pk, "page": 1}))
    hidden = re.search(r'name="query" value="([^"]*)"', list_page).group(1).replace("&amp;", "&")
    assert hidden == f"stage=solicitation&service={service.pk}"

    response = save(client, "  Confluence   solicitations ", hidden)

    assert response.status_code == 302
    assert response["Location"] == f"/contracts/?stage=solicitation&service={service.pk}"
    view = SavedView.objects.get(user=team)
    assert view.name == "Confluence solicitations"
    page = client.get(response["Location"])
    assert saved_links(html_of(page)) == [
        ("Confluence solicitations", f"/contracts/?stage=solicitation&service={service.pk}")]
    assert "Shown" in text_of(page)
    assert "1 contract" in text_of(page) and "Other" in text_of(page)
    assert AuditEvent.objects.filter(action="contracts.save_view").exists()


def test_bad_filters_are_dropped_before_saving(client, people):
    client.force_login(people["cor"])
    # A COR the person cannot see, a stage that does not exist, a page number: not kept.
    query = f"cor={people['other_cor'].pk}&stage=nonsense&q=Mine&page=3&sort=-name&evil=1"

    save(client, "Mine, Z to A", query)

    assert SavedView.objects.get().query == "q=Mine&sort=-name"


@pytest.mark.parametrize(("name", "message"), [
    ("", "This field is required."),
    ("x" * 81, "Ensure this value has at most 80 characters"),
])
def test_a_bad_name_is_said_at_the_top_and_nothing_is_saved(client, people, name, message):
    client.force_login(people["cor"])

    response = save(client, name, "stage=active")

    assert response.status_code == 400
    assert "There is a problem" in text_of(response)
    assert message in text_of(response)
    assert not SavedView.objects.exists()


def test_two_views_of_one_person_do_not_share_a_name_and_the_cap_holds(client, people):
    client.force_login(people["cor"])
    save(client, "Active", "stage=active")

    again = save(client, "ACTIVE", "stage=closing")

    assert again.status_code == 400
    assert "You already have a view named “ACTIVE”" in text_of(again)
    for n in range(SavedView.PER_PERSON - 1):
        SavedView.objects.create(user=people["cor"], name=f"View {n}", query="")
    full = save(client, "One too many", "")
    assert full.status_code == 400
    assert f"You have {SavedView.PER_PERSON} saved views" in text_of(full)
    assert SavedView.objects.filter(user=people["cor"]).count() == SavedView.PER_PERSON
    # Another person may use the same name.
    client.force_login(people["poc"])
    assert save(client, "Active", "").status_code == 302


def test_only_the_owner_sees_renames_or_deletes_a_view(client, people):
    client.force_login(people["cor"])
    save(client, "Zephyr closing", "stage=closing")
    client.get(reverse("contracts:list"))  # the "Saved" message is shown to the owner
    view = SavedView.objects.get()
    for other in ("poc", "onboarding_team", "administrator"):
        client.force_login(people[other])
        assert "Zephyr" not in text_of(client.get(reverse("contracts:list")))
        assert "Zephyr" not in text_of(client.get(reverse("contracts:saved_views")))
        renamed = client.post(reverse("contracts:rename_view", args=[view.pk]), {"name": "Mine"})
        deleted = client.post(reverse("contracts:delete_view", args=[view.pk]))
        assert (renamed.status_code, deleted.status_code) == (404, 404)
    view.refresh_from_db()
    assert view.name == "Zephyr closing"


def test_the_owner_renames_and_deletes(client, people):
    client.force_login(people["cor"])
    save(client, "Closing", "stage=closing")
    save(client, "Active", "stage=active")
    closing = SavedView.objects.get(name="Closing")

    page = client.get(reverse("contracts:saved_views"))
    assert "Stage: Closing" in text_of(page) and "Stage: Active" in text_of(page)

    response = client.post(reverse("contracts:rename_view", args=[closing.pk]),
                           {"name": "Active"}, follow=True)
    assert "was not renamed: You already have a view named “Active”" in text_of(response)
    response = client.post(reverse("contracts:rename_view", args=[closing.pk]),
                           {"name": "Closing soon"}, follow=True)
    assert "Renamed “Closing” to “Closing soon”." in text_of(response)
    response = client.post(reverse("contracts:delete_view", args=[closing.pk]), follow=True)
    assert "Deleted the view “Closing soon”." in text_of(response)
    assert list(SavedView.objects.values_list("name", flat=True)) == ["Active"]
    assert client.get(reverse("contracts:delete_view", args=[closing.pk])).status_code == 405


def test_opening_a_view_checks_its_filters_again(client, people):
    """A view saved while its COR was visible, opened after that changed: the filter is
    dropped, never an error."""
    client.force_login(people["onboarding_team"])
    view = SavedView.objects.create(user=people["onboarding_team"], name="Odd",
                                    query="cor=999999&stage=active")
    make_contract(name="Running", stage=Stage.SOLICITATION)

    page = client.get(f"{reverse('contracts:list')}?{view.query}")

    assert page.status_code == 200
    assert "Odd" in text_of(client.get(reverse("contracts:saved_views")))


def test_the_list_and_its_views_cost_the_same_queries_at_one_view_and_twenty(
        client, people, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    person = people["onboarding_team"]
    client.force_login(person)
    service = people["mine"].services.get().service
    SavedView.objects.create(user=person, name="One",
                             query=f"cor={people['cor'].pk}&service={service.pk}")

    def count(url):
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    few = {url: count(url) for url in ("/contracts/", "/contracts/views/")}
    for n in range(SavedView.PER_PERSON - 1):
        SavedView.objects.create(user=person, name=f"View {n}",
                                 query=f"cor={people['cor'].pk}&service={service.pk}")

    assert {url: count(url) for url in few} == few



def test_the_list_reads_a_persons_views_as_the_orm_does_in_name_order(people):
    from django.contrib.auth.models import AnonymousUser

    from muster.contracts import queries

    person, other = people["onboarding_team"], people["cor"]
    for name in ("beta", "Alpha", "gamma"):
        SavedView.objects.create(user=person, name=name, query=f"q={name}")
    SavedView.objects.create(user=other, name="Not theirs", query="q=x")

    listed = queries.saved_views_listed(person)
    assert [(v.pk, v.name, v.query) for v in listed] == [
        (v.pk, v.name, v.query) for v in queries.saved_views(person)]
    assert [v.name for v in listed] == ["Alpha", "beta", "gamma"]
    assert queries.saved_views_listed(AnonymousUser()) == []
