"""The header: at most six items at the top for every role, the rest in groups; every link
the person may use is there (and on the menu page, for a browser without JavaScript); the
current page and its group are marked."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from muster.accounts.context_processors import MAX_TOP_LEVEL

from ..factories import UserFactory
from ..pages import html_of, text_of
from .header import every_link, header

pytestmark = pytest.mark.django_db

REQUESTS_TEAM = ["Review queue", "Service requests", "Access to confirm", "New solicitation"]
# Every link each role may use, in the header's order: (top-level items, {group: links}).
EXPECTED = {
    "cor": (["Home", "Contracts", "Service requests"], {}),
    "poc": (["Home", "Contracts", "Service requests"], {}),
    "so": (["Home", "Contracts", "Service requests"], {}),
    "spoc": (["Home", "Contracts", "Service requests"], {}),
    "contractor_user": (["Home", "Contracts"], {}),
    "other_cor": (["Home", "Contracts", "Service requests"], {}),
    "outsider": (["Home", "Contracts"], {}),
    "onboarding_team": (
        ["My work", "Contracts", "Requests", "Reports", "Administration"],
        {"Requests": REQUESTS_TEAM,
         "Reports": ["Dashboard", "Metrics", "Surveys", "Reconciliation"],
         "Administration": ["Accounts", "Outbox", "Sweeps", "Provisioning clients", "Webhooks",
                            "Recertification"]}),
    "team_lead": (
        ["My work", "Contracts", "Requests", "Reports", "Administration"],
        {"Requests": ["Review queue", "Service requests"],
         "Reports": ["Dashboard", "Metrics", "Surveys", "Reconciliation"],
         "Administration": ["Accounts", "Sweeps", "Provisioning clients", "Webhooks",
                            "Recertification"]}),
    "administrator": (
        ["My work", "Contracts", "Requests", "Reports", "Administration"],
        {"Requests": ["Review queue", "Service requests"],
         "Reports": ["Dashboard", "Metrics", "Surveys", "Reconciliation"],
         "Administration": ["Accounts", "Outbox", "Sweeps", "Provisioning clients", "Webhooks",
                            "Recertification"]}),
    "sas_lead": (["Home", "My work", "Contracts", "Requests"],
                 {"Requests": ["Service decisions", "Service requests", "Access to confirm"]}),
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_every_role_sees_at_most_six_items_and_every_link_it_may_use(client, people, role):
    client.force_login(people[role])
    top_level, groups = EXPECTED[role]

    items = header(html_of(client.get(reverse("contracts:list"))))

    assert len(items) <= MAX_TOP_LEVEL == 6
    assert [item.label for item in items] == top_level
    assert {item.label: [link.label for link in item.links]
            for item in items if item.is_group} == groups
    # Each link the person may use opens for them (the cockpit's pages are not built on
    # this branch: they answer 404 until they land, for everyone).
    for item in items:
        for link in item.links or [item]:
            status = client.get(link.url).status_code
            assert status in (200, 404 if link.label in {"My work", "Dashboard", "Metrics"}
                              else 200), (link.label, status)


def test_site_administration_is_there_for_staff_only(client, people):
    admin = get_user_model().objects.create_superuser(
        "root@example.com", "a-long-password-2026", full_name="Root Admin")
    client.force_login(admin)

    items = header(html_of(client.get(reverse("contracts:list"))))

    assert len(items) <= 6
    assert "Site administration" in every_link(items)
    client.force_login(people["onboarding_team"])
    assert "Site administration" not in every_link(
        header(html_of(client.get(reverse("contracts:list")))))


def test_a_group_holding_the_current_page_is_marked_and_the_page_says_it_is_this_one(
        client, people):
    client.force_login(people["onboarding_team"])

    items = {item.label: item for item in header(html_of(client.get(reverse("access:pending"))))}

    requests = items["Requests"]
    assert requests.current and requests.aria_current == "true"
    pending = next(link for link in requests.links if link.label == "Access to confirm")
    assert pending.current and pending.aria_current == "page"
    assert not any(link.aria_current for link in requests.links if link is not pending)
    others = [item for label, item in items.items() if label != "Requests"]
    assert not any(item.current or item.aria_current for item in others)


def test_a_contract_is_in_contracts_but_not_its_list_page(client, people):
    client.force_login(people["onboarding_team"])

    on_list = {i.label: i for i in header(html_of(client.get(reverse("contracts:list"))))}
    on_contract = {i.label: i for i in header(html_of(
        client.get(people["mine"].get_absolute_url())))}

    assert on_list["Contracts"].current and on_list["Contracts"].aria_current == "page"
    assert on_contract["Contracts"].current and not on_contract["Contracts"].aria_current


def test_without_javascript_a_group_is_a_link_to_the_menu_page_listing_its_links(
        client, people):
    """The submenus are `hidden` until uswds.js opens them: the group itself must lead
    somewhere a browser without JavaScript can follow."""
    client.force_login(people["onboarding_team"])
    page = html_of(client.get(reverse("contracts:list")))
    items = {item.label: item for item in header(page)}

    assert items["Reports"].url == reverse("menu") + "#menu-reports"
    menu = client.get(items["Reports"].url.split("#")[0])
    menu_html = html_of(menu)

    assert '<h2 id="menu-reports" tabindex="-1">Reports</h2>' in menu_html
    for label in every_link(list(items.values())):
        assert f">{label}</a>" in menu_html, label
    # The small screen's Menu, too, is a link to it until muster.js makes it a button.
    assert f'<a class="usa-menu-btn" href="{reverse("menu")}" data-nav-button>Menu</a>' in page


def test_the_menu_page_lists_only_what_the_person_may_use(client, people):
    client.force_login(people["so"])

    text = text_of(client.get(reverse("menu")))

    assert "Service requests" in text and "Contracts" in text
    for label in ("Review queue", "Outbox", "Accounts", "Metrics", "Dashboard", "My work"):
        assert label not in text.replace("Service requests", ""), label


def test_signed_out_there_is_no_navigation(client):
    page = html_of(client.get(reverse("account_login")))

    assert 'aria-label="Primary navigation"' not in page


def test_the_header_costs_the_same_queries_for_a_person_with_more_roles(
        client, people, django_assert_max_num_queries):
    """The header asks each predicate once per page: no query per link or group."""
    client.force_login(people["onboarding_team"])
    client.get(reverse("menu"))  # warm the session
    UserFactory.create_batch(3)

    with django_assert_max_num_queries(12):
        client.get(reverse("menu"))
