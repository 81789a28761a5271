"""Single sign-on without a browser: Django's test client is Muster's side, and the real
OpenID provider (npm's `oidc-provider`, started on 127.0.0.1 by tests/e2e/oidc/running.py)
is the agency's. Nothing is mocked: the tokens are the provider's, signed by it.

Who gets in (a verified email that Muster named, any case), who does not (an unknown or
unverified address, an inactive account), and the checks on the way back (state, code,
replay, nonce).
"""

from urllib.parse import urlencode, urlsplit, urlunsplit

import pytest
from allauth.socialaccount.models import SocialAccount
from django.urls import reverse

from muster.accounts.models import User
from muster.catalog.models import HelpContact
from tests.e2e.oidc.running import (
    ACCOUNTS,
    BUTTON_LABEL,
    CALLBACK_PATH,
    LOGIN_PATH,
    node_unavailable,
    query,
    running_provider,
    sign_in_at_provider,
)
from tests.factories import PASSWORD, UserFactory

HOME = reverse("home")
CALLBACK = "http://testserver" + CALLBACK_PATH



@pytest.fixture(scope="module")
def provider():
    reason = node_unavailable()
    if reason:
        pytest.skip(reason)
    with running_provider([CALLBACK], ACCOUNTS) as running:
        yield running


@pytest.fixture(autouse=True)
def agency(provider, settings):
    settings.SOCIALACCOUNT_PROVIDERS = provider.socialaccount_providers()
    return provider


@pytest.fixture
def sam(db):
    return UserFactory(email="sam.okafor@example.gov", full_name="Sam Okafor")


def start(client) -> str:
    """The sign-in button: a POST that sends the browser to the provider."""
    response = client.post(LOGIN_PATH)
    assert response.status_code == 302
    return response["Location"]


def come_back(client, callback_url: str):
    parts = urlsplit(callback_url)
    return client.get(parts.path, query(callback_url))


def sign_in(client, sub: str):
    return come_back(client, sign_in_at_provider(start(client), sub))


def signed_in_as(client) -> str | None:
    response = client.get(HOME)
    if response.status_code != 200:
        return None
    return response.wsgi_request.user.full_name


def with_param(url: str, **changes) -> str:
    parts = urlsplit(url)
    params = {**query(url), **changes}
    return urlunsplit(parts._replace(query=urlencode(params)))


def test_the_authorization_request_carries_state_pkce_and_a_nonce(client, db, agency):
    authorize = start(client)
    params = query(authorize)
    assert authorize.startswith(agency.issuer + "/auth?")
    assert params["response_type"] == "code"
    assert params["code_challenge_method"] == "S256" and params["code_challenge"]
    assert len(params["state"]) >= 16
    assert len(params["nonce"]) >= 32
    assert set(params["scope"].split()) >= {"openid", "email"}
    # A fresh nonce every time.
    assert query(start(client))["nonce"] != params["nonce"]


def test_a_named_person_signs_in_with_a_verified_email_in_any_case(client, sam):
    response = sign_in(client, "sam")
    assert response.status_code == 302 and response["Location"] == HOME
    assert signed_in_as(client) == "Sam Okafor"
    # Matched again at every sign-in: nothing is linked, and the local password still works.
    assert not SocialAccount.objects.exists()
    sam.refresh_from_db()
    assert sam.check_password(PASSWORD)


def test_a_second_sign_in_matches_again(client, sam):
    sign_in(client, "sam")
    client.post(reverse("account_logout"))
    assert signed_in_as(client) is None
    sign_in(client, "sam")
    assert signed_in_as(client) == "Sam Okafor"


def test_an_address_muster_never_named_gets_a_page_saying_whom_to_ask(client, db):
    HelpContact.objects.create(title="Onboarding team", audience="Getting into Muster",
                               email="onboarding@example.gov")
    response = sign_in(client, "stranger")
    assert response.status_code == 403
    page = response.content.decode()
    assert "Muster has no account for stranger@example.gov" in page
    assert "onboarding@example.gov" in page
    assert "Ask the onboarding team" in page
    assert not User.objects.filter(email="stranger@example.gov").exists()
    assert signed_in_as(client) is None


def test_an_unverified_email_is_refused_even_when_muster_knows_it(client, db):
    UserFactory(email="pat.unverified@example.gov", full_name="Pat Unverified")
    response = sign_in(client, "unchecked")
    assert response.status_code == 403
    assert "has not confirmed your email address" in response.content.decode()
    assert signed_in_as(client) is None


def test_an_inactive_account_is_refused_as_allauth_refuses_it(client, db):
    UserFactory(email="gone@example.gov", full_name="Gone Away", is_active=False)
    response = sign_in(client, "gone")
    assert response.status_code == 302
    assert response["Location"] == reverse("account_inactive")
    assert signed_in_as(client) is None


def test_a_changed_state_is_refused(client, sam):
    callback = sign_in_at_provider(start(client), "sam")
    response = come_back(client, with_param(callback, state="not-the-state-we-sent"))
    assert response.status_code == 401
    assert "Sign-in through your agency did not finish" in response.content.decode()
    assert signed_in_as(client) is None


def test_a_changed_code_is_refused(client, sam):
    callback = sign_in_at_provider(start(client), "sam")
    response = come_back(client, with_param(callback, code="a-code-the-provider-never-gave"))
    assert response.status_code == 401
    assert signed_in_as(client) is None


def test_a_replayed_callback_is_refused(client, sam):
    callback = sign_in_at_provider(start(client), "sam")
    assert come_back(client, callback).status_code == 302
    client.post(reverse("account_logout"))
    response = come_back(client, callback)
    assert response.status_code == 401
    assert signed_in_as(client) is None


def test_a_callback_from_another_browser_is_refused(client, sam):
    """The state lives in the session of the browser that started: another cannot use it."""
    from django.test import Client

    callback = sign_in_at_provider(start(client), "sam")
    other = Client()
    assert come_back(other, callback).status_code == 401
    assert signed_in_as(other) is None


def test_an_id_token_with_another_nonce_is_refused(client, sam):
    """A real ID token, signed by the provider, issued for a request whose nonce was changed
    on the way: the state's nonce is not the token's, so Muster refuses it."""
    authorize = start(client)
    tampered = with_param(authorize, nonce="a-nonce-this-browser-never-sent-0123456789")
    response = come_back(client, sign_in_at_provider(tampered, "sam"))
    assert response.status_code == 403
    assert "could not be checked" in response.content.decode()
    assert signed_in_as(client) is None


def test_the_sign_in_page_offers_the_agency_button(client, db):
    page = client.get(reverse("account_login")).content.decode()
    assert BUTTON_LABEL in page
    assert f'action="{LOGIN_PATH}"' in page


def test_opening_the_provider_address_asks_first_and_stashes_nothing(client, db):
    response = client.get(LOGIN_PATH)
    assert response.status_code == 200
    assert "Sign in through your agency" in response.content.decode()
    assert "socialaccount_states" not in client.session


def test_connecting_a_provider_account_is_not_offered(client, sam):
    """allauth's "connect" process would link the provider account to whoever is signed in:
    Muster's provider always signs in instead, and links nothing."""
    other = UserFactory(full_name="Someone Else")
    client.force_login(other)
    response = client.post(LOGIN_PATH + "?process=connect")
    come_back(client, sign_in_at_provider(response["Location"], "sam"))
    assert signed_in_as(client) == "Sam Okafor"
    assert not SocialAccount.objects.exists()


def test_a_provider_that_does_not_answer_gets_a_page_not_an_error(client, db, settings):
    apps = settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"]
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {
        **settings.SOCIALACCOUNT_PROVIDERS["openid_connect"],
        "APPS": [{**apps[0], "settings": {"server_url": "http://127.0.0.1:9"}}],
    }}
    response = client.post(LOGIN_PATH)
    assert response.status_code == 503
    assert "Your agency's sign-in is not answering" in response.content.decode()


def test_the_page_asked_for_before_signing_in_is_where_the_person_lands(client, sam):
    wanted = reverse("contracts:list")
    page = client.get(reverse("account_login"), {"next": wanted}).content.decode()
    action = f'action="{LOGIN_PATH}?next={wanted.replace("/", "%2F")}"'
    assert action in page
    response = client.post(LOGIN_PATH + "?next=" + wanted)
    back = come_back(client, sign_in_at_provider(response["Location"], "sam"))
    assert back["Location"] == wanted
