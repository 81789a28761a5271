"""API tokens in Chromium: a person makes a token on their settings page, sees it once, a
script (Playwright's request API, no cookies) calls /api/v1/me with it, the list shows its
last use, and the person revokes it; the team issues a provisioning client's token. axe
finds nothing on the pages of the walk, at full width and at 320 pixels."""

import re

import pytest
from playwright.sync_api import expect

from muster.accounts.models import TeamRole

from ..factories import UserFactory, team_member
from .conftest import open_header_menu

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

RAW = re.compile(r"^mst_[0-9a-f]{12}_[A-Za-z0-9_-]{40,}$")


def choose(page, label: str) -> None:
    """A USWDS radio by the start of its visible label (the input itself sits off-screen)."""
    page.locator("label.usa-radio__label").filter(
        has_text=re.compile(rf"^\s*{re.escape(label)}")).click()


def script_calls(browsing, raw: str | None):
    """GET /api/v1/me as a script would: its own HTTP client, no cookies, the token only."""
    request = browsing.browser.new_context().request
    headers = {"Authorization": f"Bearer {raw}"} if raw else {}
    try:
        answer = request.get(browsing.url("/api/v1/me"), headers=headers)
        return answer.status, answer.json(), answer.headers
    finally:
        request.dispose()


def test_a_person_makes_a_token_sees_it_once_uses_it_and_revokes_it(browsing, axe):
    person = UserFactory(full_name="Priya Script", email="priya@contractor.example")
    page = browsing.sign_in(person)

    page.get_by_role("navigation", name="Your account").get_by_role(
        "link", name="API tokens").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your API tokens")
    expect(page.get_by_text("You have no API tokens yet.")).to_be_visible()
    axe.scan(page, "tokens, none yet")

    page.get_by_role("link", name="Make a token").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Make an API token")
    axe.scan(page, "make a token")
    choose(page, "On a date I choose")
    page.get_by_role("button", name="Make the token").click()
    expect(page.get_by_role("heading", name="There are 3 problems")).to_be_visible()
    axe.scan(page, "make a token, with errors")

    page.get_by_label("Name").fill("Nightly report")
    choose(page, "Read only")
    choose(page, "90 days")
    page.get_by_role("button", name="Make the token").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Your new API token: Nightly report")
    expect(page.get_by_text("You will not be able to see it again")).to_be_visible()
    raw = page.get_by_label("The token").input_value()
    assert RAW.match(raw), raw
    axe.scan(page, "the new token, shown once")

    status, me, _ = script_calls(browsing, raw)
    assert status == 200
    assert (me["email"], me["token_name"], me["token_scope"]) == (
        "priya@contractor.example", "Nightly report", "read")

    page.get_by_role("link", name="I have copied it: back to your tokens").click()
    row = page.get_by_role("row", name=re.compile("Nightly report"))
    expect(row).to_contain_text("Read only")
    expect(row).to_contain_text("Active")
    expect(row.locator('[data-label="Last used"]')).not_to_have_text("Never")
    assert raw not in page.content()
    axe.scan(page, "tokens, one used")

    row.get_by_role("link", name=re.compile("^Revoke")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Revoke the token “Nightly report”?")
    axe.scan(page, "revoke, asked first")
    page.get_by_role("button", name="Revoke the token").click()

    expect(page.get_by_text("The token “Nightly report” is revoked")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Nightly report"))).to_contain_text(
        "Revoked")
    status, problem, headers = script_calls(browsing, raw)
    assert status == 401
    assert headers["content-type"] == "application/problem+json"
    assert problem["status"] == 401
    axe.scan(page, "tokens, revoked")
    axe.assert_clean()


def test_the_team_issues_a_provisioning_clients_token(browsing, axe):
    tess = team_member(TeamRole.Role.ONBOARDING_TEAM, full_name="Tess Team",
                       email="tess.team@agency.example")
    page = browsing.sign_in(tess)

    open_header_menu(page, "Administration")
    page.get_by_role("link", name="Provisioning clients").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Provisioning clients")
    axe.scan(page, "provisioning clients, none yet")

    page.get_by_role("link", name="Issue a client token").click()
    page.get_by_label("Provisioning client").fill("Okta production")
    choose(page, "One year")
    page.get_by_role("button", name="Issue the token").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("The token of Okta production")
    assert RAW.match(page.get_by_label("The token").input_value())
    axe.scan(page, "the client's token, shown once")
    page.get_by_role("link", name="I have copied it: back to the clients").click()
    row = page.get_by_role("row", name=re.compile("Okta production"))
    expect(row).to_contain_text("Never")
    expect(row).to_contain_text("Tess Team")
    axe.scan(page, "provisioning clients, one")
    axe.assert_clean()
