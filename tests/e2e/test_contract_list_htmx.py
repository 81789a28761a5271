"""The contract list in the browser: a filter, the search box and the page links update the
results in place (htmx) with the address kept in step, and Back returns to the earlier
results; the page never reloads, and axe-core finds nothing on any state of it."""

import re

import pytest
from playwright.sync_api import expect

from muster.contracts import services as contracts
from muster.contracts.models import Contract

from ..factories import make_contract

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
NOT_RELOADED = "window.musterMarker === 'still here'"  # a page load would forget it


def test_the_contract_list_updates_in_place_and_keeps_the_address(browsing, people):
    contracts.change_stage(None, people["mine"], Contract.award)
    for n in range(1, 26):  # 27 contracts: two pages
        make_contract(name=f"Filler {n:02d}")
    axe = browsing.axe
    team = browsing.sign_in(people["onboarding_team"])
    results = team.locator("#contract-results")
    heading = team.locator("#results-heading")

    team.goto(browsing.url("/contracts/"))
    expect(heading).to_have_text("27 contracts")
    axe.scan(team, "contract list")
    team.evaluate("window.musterMarker = 'still here'")

    # A filter: the results change, the address follows, the page stays.
    team.get_by_label("Stage").select_option("awarded")
    expect(heading).to_have_text("1 contract")
    expect(team).to_have_url(re.compile(r"/contracts/\?.*stage=awarded"))
    expect(results.get_by_role("link", name="Mine")).to_be_visible()
    expect(results.get_by_role("link", name="Other")).to_have_count(0)
    assert team.evaluate(NOT_RELOADED)
    expect(results).to_have_attribute("aria-live", "polite")
    expect(results).not_to_have_attribute("aria-busy", "true")
    axe.scan(team, "contract list, filtered in place")

    # The search box, once typing stops.
    team.get_by_label("Stage").select_option("")
    expect(heading).to_have_text("27 contracts")
    team.get_by_role("textbox", name="Search").fill("Oth")
    expect(heading).to_have_text("1 contract")
    expect(team).to_have_url(re.compile(r"/contracts/\?q=Oth&"))
    expect(results.get_by_role("link", name="Other")).to_be_visible()
    assert team.evaluate(NOT_RELOADED)

    # The checkbox too.
    team.get_by_text("Only contracts with an overdue step").click()
    expect(team).to_have_url(re.compile(r"[?&]overdue=on"))
    expect(heading).to_have_text(re.compile(r"^\d+ contracts?$"))
    team.get_by_text("Only contracts with an overdue step").click()
    expect(team).not_to_have_url(re.compile(r"overdue=on"))
    assert team.evaluate(NOT_RELOADED)

    # The page links inside the results: page 2 in place, the keyboard kept on the results.
    team.get_by_role("textbox", name="Search").fill("")
    expect(heading).to_have_text("27 contracts")
    results.get_by_role("link", name="Next page").click()
    expect(team).to_have_url(re.compile(r"[?&]page=2$"))
    expect(results.get_by_text("Page 2 of 2")).to_be_visible()
    expect(heading).to_be_focused()
    assert team.evaluate(NOT_RELOADED)
    axe.scan(team, "contract list, page 2 in place")

    # Back: the earlier results, still without a reload.
    team.go_back()
    expect(team).not_to_have_url(re.compile(r"page=2"))
    expect(results.get_by_text("Page 1 of 2")).to_be_visible()
    assert team.evaluate(NOT_RELOADED)
    axe.assert_clean()


def test_without_javascript_the_list_is_a_plain_form(browsing, people):
    """The same search with JavaScript off: the form's GET loads the whole page."""
    page = browsing.sign_in(people["onboarding_team"], javascript=False)

    page.goto(browsing.url("/contracts/"))
    page.get_by_role("textbox", name="Search").fill("Oth")
    # The list's own Search button (the header's search box has one too: issue 14).
    page.get_by_role("search", name="Search and filter contracts").get_by_role(
        "button", name="Search").click()

    expect(page).to_have_url(re.compile(r"/contracts/\?q=Oth&"))
    expect(page.locator("#results-heading")).to_have_text("1 contract")
    expect(page.get_by_role("heading", level=1)).to_have_text("Contracts")
