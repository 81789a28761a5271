"""The header in the browser: the grouped menu by keyboard with JavaScript on (USWDS's
button opens the submenu in place) and off (the group is a link to the menu page), the
header search, and a notification marked as read; axe-core on each page."""

import re

import pytest
from playwright.sync_api import expect

from muster.accounts.models import ContractRole, TeamRole
from muster.notifications import services as mail

from ..factories import give_role, make_contract, team_member
from .conftest import shoot
from .test_keyboard import focused, tab_to

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

NAME = "Heronsgate Claims Analytics"


@pytest.fixture
def team():
    person = team_member(TeamRole.Role.ONBOARDING_TEAM, full_name="Tess Team",
                         email="tess.team@agency.example")
    contract = make_contract(name=NAME, contract_number="75FCMC27C0314")
    so = team_member(TeamRole.Role.COR, full_name="Hana Heronsgate",
                     email="hana@heronsgate.example")
    give_role(so, contract, ContractRole.Role.SO)
    mail.queue("award_notice", to=[person], key="header:award", contract=contract,
               context={"actor": so})
    return person


def test_the_grouped_menu_by_keyboard_with_javascript(browsing, team):
    axe = browsing.axe
    page = browsing.sign_in(team)
    nav = page.get_by_role("navigation", name="Primary navigation")
    top = nav.locator(".usa-nav__primary > li")
    # My work (the team's home), Contracts, then the Requests, Reports and Administration
    # groups: five of at most six.
    expect(top).to_have_count(5)

    tab_to(page, "Requests")
    requests = nav.get_by_role("button", name="Requests")
    expect(requests).to_be_focused()
    expect(requests).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Enter")
    expect(requests).to_have_attribute("aria-expanded", "true")
    expect(nav.get_by_role("link", name="Review queue")).to_be_visible()
    shoot(page, "header-menu", full_page=False)
    # Escape closes it and leaves the keyboard on its button.
    page.keyboard.press("Tab")
    assert focused(page) == "Review queue"
    page.keyboard.press("Escape")
    expect(requests).to_have_attribute("aria-expanded", "false")
    expect(requests).to_be_focused()

    page.keyboard.press("Enter")
    tab_to(page, "Access to confirm")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Access waiting for confirmation")
    requests = nav.get_by_role("button", name="Requests")
    expect(requests).to_have_attribute("aria-current", "true")
    expect(requests).to_have_class(re.compile(r"\busa-current\b"))
    axe.scan(page, "access to confirm, its group marked")
    # Last: the scan's reflow check narrows the window, and USWDS closes an open menu when
    # the window crosses its breakpoint.
    requests.click()
    expect(nav.get_by_role("link", name="Review queue")).to_be_visible()
    axe.scan(page, "header, Requests menu open")
    axe.assert_clean()


def tab_until_focused(page, locator, limit: int = 60) -> None:
    """Press Tab until `locator` has the focus. Without JavaScript the page cannot be asked
    which element is focused (page.evaluate waits for ever): Playwright's assertion can."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        try:
            expect(locator).to_be_focused(timeout=150)
            return
        except AssertionError:
            continue
    raise AssertionError(f"Tab never reached {locator} on {page.url}")


def test_the_grouped_menu_by_keyboard_without_javascript(browsing, team):
    page = browsing.sign_in(team, javascript=False)
    nav = page.get_by_role("navigation", name="Primary navigation")
    # The submenus stay hidden without uswds.js: the group itself leads to its links.
    expect(nav.get_by_role("link", name="Review queue")).to_have_count(0)
    reports = nav.get_by_role("link", name="Reports")
    expect(reports).to_have_attribute("href", "/menu/#menu-reports")

    tab_until_focused(page, reports)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Menu")
    assert page.url.endswith("/menu/#menu-reports")
    tab_until_focused(page, page.get_by_role("main").get_by_role("link", name="Surveys"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("urvey"))
    expect(nav.get_by_role("link", name="Reports")).to_have_attribute("aria-current", "true")
    # axe-core needs JavaScript: the same menu page is scanned with it on (below).


def test_the_menu_page_passes_axe(browsing, team):
    page = browsing.sign_in(team)
    page.goto(browsing.url("/menu/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Menu")
    browsing.axe.scan(page, "menu page")
    browsing.axe.assert_clean()


def test_search_from_the_header_and_read_a_notification(browsing, team):
    axe = browsing.axe
    page = browsing.sign_in(team)
    account = page.get_by_role("navigation", name="Your account")
    expect(account.get_by_role("link", name="Notifications, 1 unread")).to_be_visible()

    search = page.get_by_role("search", name="Search Muster")
    search.get_by_label("Search contracts, people and requests").fill("heronsgate")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Search")
    results = page.get_by_role("region", name=re.compile("^Contracts"))
    expect(results.get_by_role("link", name=NAME)).to_be_visible()
    expect(page.get_by_role("region", name=re.compile("^People"))).to_contain_text(
        "Hana Heronsgate")
    axe.scan(page, "search results")
    shoot(page, "search")
    page.get_by_role("search", name="Search again").get_by_role("searchbox").fill("h")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").first).to_contain_text("is too short")

    account.get_by_role("link", name="Notifications, 1 unread").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your notifications")
    expect(page.locator("main")).to_contain_text("You have 1 unread notification.")
    axe.scan(page, "notifications, one unread")
    page.get_by_role("button", name=re.compile("^Mark as read")).click()
    expect(page.locator("main")).to_contain_text("is marked as read")
    expect(account.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
    expect(page.locator("main")).to_contain_text("You have read all your notifications.")
    axe.scan(page, "notifications, all read")
    axe.assert_clean()
