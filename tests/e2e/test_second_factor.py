"""The second factor in Chromium, for a member of the onboarding team (who must use one):
signs in, is sent to set it up, reads the setup key shown as text, computes the code as an
authenticator app would (RFC 6238), enrols, signs out, signs in with password and code, and
lands on home. axe finds nothing on the pages of the walk."""

import re
import time

import pytest
from playwright.sync_api import expect

from muster.accounts.models import TeamRole
from tests.identity.totp import totp

from ..factories import PASSWORD, team_member

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def fresh_code(secret: str) -> str:
    """A code with time left in its 30-second step to reach the server."""
    if time.time() % 30 > 25:
        time.sleep(30 - time.time() % 30 + 0.5)
    return totp(secret)


def sign_in_with_password(page, browsing, person) -> None:
    page.goto(browsing.url("/accounts/login/"))
    page.get_by_label("Email address").fill(person.email)
    page.get_by_label("Password", exact=False).first.fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_team_member_enrols_then_signs_in_with_a_code(browsing, axe, settings):
    settings.MFA_REQUIRED = True
    tess = team_member(TeamRole.Role.ONBOARDING_TEAM, full_name="Tess Team",
                       email="tess.team@example.gov")
    page = browsing.new_page()

    sign_in_with_password(page, browsing, tess)

    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your authenticator app")
    expect(page.get_by_text("Your role in Muster lets you decide on people's access")
           ).to_be_visible()
    expect(page.get_by_role("img", name="QR code that adds Muster")).to_be_visible()
    axe.scan(page, "enrolment")
    secret = page.locator("#totp-secret").inner_text().strip()
    assert len(secret) >= 16

    page.get_by_label("Code from your app").fill("000000" if totp(secret) != "000000"
                                                 else "111111")
    page.get_by_role("button", name="Turn on the second factor").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    axe.scan(page, "enrolment, wrong code")

    page.get_by_label("Code from your app").fill(fresh_code(secret))
    page.get_by_role("button", name="Turn on the second factor").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    axe.scan(page, "recovery codes")
    page.get_by_role("link", name="I have kept them: continue to Muster").click()
    expect(page.get_by_text("Signed in as Tess Team", exact=True)).to_be_visible()
    page.get_by_role("link", name="Second factor").click()
    expect(page.get_by_text("On. Signing in asks for a code")).to_be_visible()
    axe.scan(page, "second factor page")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Muster")
    sign_in_with_password(page, browsing, tess)

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Enter the code from your authenticator app")
    axe.scan(page, "code at sign-in")
    page.get_by_role("textbox", name=re.compile(r"^Code\b")).fill(fresh_code(secret))
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_text("Signed in as Tess Team", exact=True)).to_be_visible()
    assert page.url == browsing.url("/")
    axe.scan(page, "home")
    axe.assert_clean()
