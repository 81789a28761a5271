"""Single sign-on in Chromium against a real OpenID provider (npm's `oidc-provider`, started
by the test on 127.0.0.1): discovery, the button, the provider's own sign-in and consent
pages, the callback, landing signed in as the person Muster named; the clear pages for an
address Muster does not know and an unverified one; a tampered or replayed callback and an
ID token for another nonce refused. axe scans every Muster page on the way."""

import re
from urllib.parse import urljoin

import pytest
from playwright.sync_api import expect

from muster.security import content_security_policy

from ..factories import UserFactory
from .oidc.running import (
    ACCOUNTS,
    BUTTON_LABEL,
    CALLBACK_PATH,
    LOGIN_PATH,
    node_unavailable,
    query,
    running_provider,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

DID_NOT_FINISH = "Sign-in through your agency did not finish"


@pytest.fixture(scope="module")
def provider(live_server):
    reason = node_unavailable()
    if reason:
        pytest.skip(reason)
    with running_provider([live_server.url + CALLBACK_PATH], ACCOUNTS) as running:
        yield running


@pytest.fixture(autouse=True)
def agency(provider, settings):
    settings.SOCIALACCOUNT_PROVIDERS = provider.socialaccount_providers()
    # As settings.py does for OIDC_ISSUER_URL: the sign-in form may hand over to the provider.
    settings.SECURE_CSP = content_security_policy(provider.issuer)
    return provider


@pytest.fixture
def sam(transactional_db):
    return UserFactory(email="sam.okafor@example.gov", full_name="Sam Okafor")


def with_param(url: str, **changes) -> str:
    from urllib.parse import urlencode, urlsplit, urlunsplit

    return urlunsplit(urlsplit(url)._replace(query=urlencode({**query(url), **changes})))


def change_on_the_way(page, request: re.Pattern, redirect: re.Pattern, **change) -> None:
    """Change a redirect's target on its way through the browser, as an attacker between the
    browser and Muster could. Playwright does not route the requests a redirect makes, so
    the request before it is answered here: sent on (cookies shared with the browser), its
    redirects followed until one goes to `redirect`, whose query is then changed."""

    def handle(route):
        if not request.search(route.request.url + "?" + (route.request.post_data or "")):
            route.continue_()
            return
        response = route.fetch(max_redirects=0)
        location = urljoin(route.request.url, response.headers["location"])
        while not redirect.search(location):
            response = page.context.request.get(location, max_redirects=0)
            location = urljoin(location, response.headers["location"])
        route.fulfill(status=303, headers={"location": with_param(location, **change)})

    page.route("**/*", handle)


def go_to_the_provider(browsing, page) -> None:
    page.goto(browsing.url("/accounts/login/"))
    page.get_by_role("button", name=BUTTON_LABEL).click()


def sign_in_at_the_provider(page, agency, sub: str) -> None:
    """The provider's own pages (its development sign-in and consent forms)."""
    expect(page).to_have_url(re.compile(re.escape(agency.issuer) + "/interaction/"))
    page.locator("input[name=login]").fill(sub)
    page.locator("input[name=password]").fill("any password")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()


def test_a_named_person_signs_in_through_the_agency(browsing, agency, sam, axe):
    page = browsing.new_page()
    page.goto(browsing.url("/accounts/login/"))
    axe.scan(page, "sign-in page with the agency's button")
    # The button sends the browser to the provider found by discovery, with a nonce.
    with page.expect_request(re.compile(re.escape(agency.issuer) + r"/auth\?")) as sent:
        page.get_by_role("button", name=BUTTON_LABEL).click()
    authorization = query(sent.value.url)
    assert authorization["nonce"] and authorization["state"] and authorization["code_challenge"]
    with page.expect_request(re.compile(re.escape(CALLBACK_PATH))) as came_back:
        sign_in_at_the_provider(page, agency, "sam")
    expect(page.get_by_text("Signed in as Sam Okafor", exact=True)).to_be_visible()
    assert page.url == browsing.url("/")

    # The same callback again (a replay): its state was used up, so it is refused.
    page.goto(came_back.value.url)
    expect(page.get_by_role("heading", level=1)).to_have_text(DID_NOT_FINISH)
    axe.scan(page, "sign-in did not finish")
    axe.assert_clean()


def test_an_address_muster_never_named_gets_a_page_saying_whom_to_ask(browsing, agency, axe):
    page = browsing.new_page()
    go_to_the_provider(browsing, page)
    sign_in_at_the_provider(page, agency, "stranger")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Muster has no account for stranger@example.gov")
    main = page.get_by_role("main")
    expect(main).to_contain_text("Ask the onboarding team")
    # The help contacts (muster.catalog), the contract onboarding team's among them.
    expect(main.get_by_role("link", name="contract-onboarding@example.gov")).to_be_visible()
    axe.scan(page, "no account for this address")
    page.goto(browsing.url("/"))
    expect(page).to_have_url(re.compile(r"/accounts/login/"))  # not signed in
    axe.assert_clean()


def test_an_unverified_email_is_refused(browsing, agency, axe):
    UserFactory(email="pat.unverified@example.gov", full_name="Pat Unverified")
    page = browsing.new_page()
    go_to_the_provider(browsing, page)
    sign_in_at_the_provider(page, agency, "unchecked")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Your agency's sign-in has not confirmed your email address")
    axe.scan(page, "email not confirmed")
    axe.assert_clean()


@pytest.mark.parametrize("change", [{"state": "a-state-muster-never-sent"},
                                    {"code": "a-code-the-provider-never-gave"}])
def test_a_tampered_callback_is_refused(browsing, agency, sam, change):
    """The provider's redirect back to Muster, changed on the way."""
    page = browsing.new_page()
    # The provider's consent form answers with redirects ending at Muster's callback.
    change_on_the_way(page, re.compile(r"/interaction/.*prompt=consent"),
                      re.compile(re.escape(CALLBACK_PATH)), **change)
    go_to_the_provider(browsing, page)
    sign_in_at_the_provider(page, agency, "sam")
    expect(page.get_by_role("heading", level=1)).to_have_text(DID_NOT_FINISH)
    page.goto(browsing.url("/"))
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_an_id_token_for_another_nonce_is_refused(browsing, agency, sam, axe):
    """The authorization request's nonce changed on its way to the provider: the provider
    signs an ID token carrying that other nonce, which is not the one Muster kept."""
    page = browsing.new_page()
    # Muster's answer to the button is a redirect to the provider's authorization endpoint.
    change_on_the_way(page, re.compile(re.escape(LOGIN_PATH) + r"\?"),
                      re.compile(re.escape(agency.issuer) + r"/auth\?"),
                      nonce="a-nonce-this-browser-never-sent-0123456789")
    go_to_the_provider(browsing, page)
    sign_in_at_the_provider(page, agency, "sam")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your sign-in could not be checked")
    axe.scan(page, "sign-in could not be checked")
    page.goto(browsing.url("/"))
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    axe.assert_clean()


def test_with_local_passwords_off_the_agency_comes_first(browsing, agency, settings, axe):
    settings.LOCAL_PASSWORDS = False
    page = browsing.new_page()
    page.goto(browsing.url("/accounts/login/"))
    button = page.get_by_role("button", name=BUTTON_LABEL)
    administrators = page.get_by_role("heading", name="Administrators")
    expect(button).to_be_visible()
    assert button.bounding_box()["y"] < administrators.bounding_box()["y"]
    axe.scan(page, "sign-in page, passwords for administrators only")
    axe.assert_clean()


def test_cancelling_at_the_provider_comes_back_to_a_page_that_says_so(browsing, agency, axe):
    page = browsing.new_page()
    go_to_the_provider(browsing, page)
    page.get_by_role("link", name="[ Cancel ]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign-in cancelled")
    axe.scan(page, "sign-in cancelled")
    page.get_by_role("link", name="Back to the sign-in page").click()
    expect(page.get_by_role("button", name=BUTTON_LABEL)).to_be_visible()
    # The provider's address opened directly (a bookmark): it asks before leaving.
    page.goto(browsing.url(LOGIN_PATH))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in through your agency")
    axe.scan(page, "sign in through your agency")
    axe.assert_clean()
