"""A person's API tokens on their own settings page (/api/tokens/): made after confirming it
is them, shown once, listed with their state and last use, revoked with a confirmation,
at most 20 active, and ended with the account."""

import datetime
import re

import pytest
import time_machine
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from muster import clock
from muster.accounts.admin import UserAdmin
from muster.accounts.models import User
from muster.api import tokens
from muster.api.models import ApiToken
from muster.audit.models import AuditEvent
from muster.identity import invitations, lifecycle
from tests.api.conftest import api_client, token_for
from tests.factories import PASSWORD, UserFactory
from tests.pages import text_of

pytestmark = pytest.mark.django_db

LIST = reverse("api_pages:tokens")
NEW = reverse("api_pages:new_token")
RAW = re.compile(r"mst_[0-9a-f]{12}_[A-Za-z0-9_-]{20,}")


def revoke_url(token: ApiToken) -> str:
    return reverse("api_pages:revoke_token", args=[token.pk])


def signed_in_now(client, person):
    """Signed in through the sign-in form a moment ago: making a token needs no password
    again (a recent sign-in is fresh enough, as for the second factor's setup)."""
    answer = client.post(reverse("account_login"), {"login": person.email,
                                                     "password": PASSWORD})
    assert answer.status_code == 302, answer
    return client


def make(client, **fields):
    data = {"name": "Nightly report", "scope": "read", "expiry": "90", **fields}
    return client.post(NEW, data)


def raw_on(response) -> str:
    (raw,) = set(RAW.findall(response.content.decode()))
    return raw


def rows_of(page: str, names: list[str]) -> dict[str, str]:
    """Each name's row: the page's text from the name to the next of the names."""
    starts = sorted((page.index(name), name) for name in names)
    ends = [start for start, _ in starts[1:]] + [len(page)]
    return {name: page[start:end] for (start, name), end in zip(starts, ends, strict=True)}


@pytest.fixture
def person(db):
    return UserFactory(full_name="Tara Token")


@pytest.fixture
def fresh(client, person):
    return signed_in_now(client, person)


# ------------------------------------------------------------------------------ making


def test_a_made_token_is_shown_once_in_the_answer_and_works(fresh, person):
    response = make(fresh, name="Nightly report", scope="read", expiry="90")

    assert response.status_code == 200
    raw = raw_on(response)
    page = text_of(response)
    assert "Copy your token now" in page
    assert "You will not be able to see it again" in page
    assert "no-store" in response["Cache-Control"]
    me = api_client(raw).get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["token_name"] == "Nightly report"
    assert me.json()["token_scope"] == "read"
    # Never again: not on the list, not in the session, not in an address.
    listed = fresh.get(LIST)
    assert raw not in listed.content.decode()
    assert raw not in str(dict(fresh.session))
    assert "Nightly report" in text_of(listed)


def test_the_made_token_is_the_persons_own_with_the_chosen_scope_and_expiry(fresh, person):
    with time_machine.travel(clock.now(), tick=False):
        make(fresh, name="Sync to Jira", scope="read_write", expiry="30")
        token = ApiToken.objects.get(user=person)

        assert (token.name, token.scope, token.created_by) == ("Sync to Jira", "read_write",
                                                               person)
        assert token.expires_at == clock.now() + datetime.timedelta(days=30)
    issued = AuditEvent.objects.get(action="api.token_issued")
    assert issued.actor == person and issued.object_id == str(token.pk)


@pytest.mark.parametrize(("choice", "days"), [("90", 90), ("180", 180), ("365", 365)])
def test_each_offered_expiry(fresh, person, choice, days):
    with time_machine.travel(clock.now(), tick=False):
        make(fresh, expiry=choice)

        assert ApiToken.objects.get(user=person).expires_at == (
            clock.now() + datetime.timedelta(days=days))


def test_a_chosen_date_lasts_through_that_day(fresh, person):
    day = clock.today() + datetime.timedelta(days=200)

    response = make(fresh, expiry="date", expires_on=day.isoformat())

    assert response.status_code == 200
    expires = ApiToken.objects.get(user=person).expires_at
    assert timezone.localtime(expires).date() == day + datetime.timedelta(days=1)
    assert timezone.localtime(expires).time() == datetime.time(0, 0)


@pytest.mark.parametrize(("fields", "message"), [
    ({"name": ""}, "Give the token a name"),
    ({"name": "x" * 101}, "at most 100 characters"),
    ({"scope": "scim"}, "Choose what the token may do"),
    ({"scope": ""}, "Choose what the token may do"),
    ({"expiry": "1000"}, "Choose when the token expires"),
    ({"expiry": "date", "expires_on": ""}, "Enter the date the token expires"),
    ({"expiry": "date", "expires_on": "tomorrow"}, "Enter a real date"),
    ({"expiry": "date", "expires_on": "2026-02-30"}, "Enter a real date"),
    ({"expiry": "date", "expires_on": "PAST"}, "a date after today"),
    ({"expiry": "date", "expires_on": "TOO_FAR"}, "at most one year"),
])
def test_bad_input_is_shown_with_the_form_and_makes_nothing(fresh, person, fields, message):
    if fields.get("expires_on") == "PAST":
        fields["expires_on"] = clock.today().isoformat()
    if fields.get("expires_on") == "TOO_FAR":
        fields["expires_on"] = (clock.today() + datetime.timedelta(days=366)).isoformat()

    response = make(fresh, **fields)

    assert response.status_code == 200
    page = text_of(response)
    assert "There is a problem" in page
    assert message in page
    assert response.content.decode().count("<h1") == 1
    assert not ApiToken.objects.exists()
    assert not RAW.search(response.content.decode())


def test_one_year_away_is_the_last_date_offered(fresh, person):
    last = clock.today() + datetime.timedelta(days=365)

    assert make(fresh, expiry="date", expires_on=last.isoformat()).status_code == 200
    assert ApiToken.objects.filter(user=person).count() == 1


def test_twenty_active_tokens_at_most(fresh, person):
    for n in range(20):
        token_for(person, name=f"Token {n}")
    ended = tokens.find(token_for(person, name="Revoked one"))
    tokens.revoke(person, ended)
    token_for(person, days=1, name="Expiring one")
    ApiToken.objects.filter(name="Expiring one").update(expires_at=clock.now())

    response = make(fresh)

    assert "You have 20 active tokens, the most you may have" in text_of(response)
    assert "Revoke one you no longer use" in text_of(response)
    assert not ApiToken.objects.filter(name="Nightly report").exists()
    assert not RAW.search(response.content.decode())


# ------------------------------------------------------------------------------ confirming


def test_making_a_token_asks_for_the_password_again_after_an_old_sign_in(client, person):
    client.force_login(person)  # no record of a recent sign-in

    ask = client.get(NEW)

    assert ask.status_code == 302
    assert ask.url.startswith(reverse("account_reauthenticate"))
    back = client.post(ask.url, {"password": PASSWORD})
    assert back.url == NEW
    assert client.get(NEW).status_code == 200
    assert make(client).status_code == 200
    assert ApiToken.objects.filter(user=person).count() == 1


def test_a_sign_in_gone_stale_asks_again_before_the_token_is_made(fresh, person):
    with time_machine.travel(clock.now() + datetime.timedelta(minutes=10), tick=False):
        refused = make(fresh)

        assert refused.status_code == 302
        assert refused.url.startswith(reverse("account_reauthenticate"))
        assert not ApiToken.objects.exists()
        # Confirmed: the form sent before is made then, and its token shown once.
        done = fresh.post(refused.url, {"password": PASSWORD})
    assert done.status_code == 200
    assert api_client(raw_on(done)).get("/api/v1/me").status_code == 200


def test_someone_with_no_password_who_signed_in_long_ago_is_asked_to_sign_in_again(client):
    """A person who signs in only through the agency's sign-in (no password to give) and
    has no second factor: making a token waits for a new sign-in."""
    person = UserFactory()
    person.set_unusable_password()
    person.save()
    client.force_login(person)

    page = client.get(NEW)

    assert page.status_code == 200
    text = text_of(page)
    assert "Sign in again to make a token" in text
    assert 'name="next"' in page.content.decode()
    assert make(client).status_code == 200
    assert not ApiToken.objects.exists()


# ------------------------------------------------------------------------------ the list


def test_the_list_shows_each_token_its_scope_dates_last_use_and_state(client, person):
    with time_machine.travel(datetime.datetime(2026, 11, 24, 15, tzinfo=datetime.UTC),
                             tick=False):
        used = token_for(person, scope=ApiToken.Scope.READ, days=90, name="Used one")
        token_for(person, days=30, name="Never used")
        tokens.revoke(person, tokens.find(token_for(person, name="Revoked one")))
        token_for(person, days=1, name="Expired one")
        api_client(used).get("/api/v1/me")
    token_for(UserFactory(), name="Someone else's")
    client.force_login(person)

    with time_machine.travel(datetime.datetime(2026, 11, 26, 15, tzinfo=datetime.UTC),
                             tick=False):
        page = text_of(client.get(LIST))

    assert "Someone else's" not in page
    by_name = rows_of(page, ["Used one", "Never used", "Revoked one", "Expired one"])
    assert "Read only" in by_name["Used one"] and "Active" in by_name["Used one"]
    assert "November 24, 2026" in by_name["Used one"]  # made, and last used
    assert "February 22, 2027" in by_name["Used one"]  # expires
    assert "Read and write" in by_name["Never used"]
    assert "Never" in by_name["Never used"]
    assert "Revoked" in by_name["Revoked one"]
    assert "Expired" in by_name["Expired one"]


def test_the_account_bar_links_the_page(client, person):
    client.force_login(person)

    page = client.get(reverse("home")).content.decode()

    assert f'href="{LIST}">API tokens</a>' in page


def test_the_list_says_so_when_there_is_no_token(client, person):
    client.force_login(person)

    page = text_of(client.get(LIST))

    assert "You have no API tokens" in page
    assert "Make a token" in page


# ------------------------------------------------------------------------------ revoking


def test_revoking_asks_first_then_the_token_stops_working(client, person):
    raw = token_for(person, name="Old laptop")
    token = tokens.find(raw)
    client.force_login(person)

    ask = client.get(revoke_url(token))
    assert ask.status_code == 200
    assert "Revoke the token “Old laptop”?" in text_of(ask)
    assert tokens.find(raw) is not None  # asking changes nothing

    done = client.post(revoke_url(token), follow=True)

    assert "The token “Old laptop” is revoked" in text_of(done)
    assert api_client(raw).get("/api/v1/me").status_code == 401
    assert "Revoked" in text_of(client.get(LIST))
    event = AuditEvent.objects.get(action="api.token_revoked")
    assert event.actor == person and event.object_id == str(token.pk)


def test_nobody_revokes_someone_elses_token(client, person):
    raw = token_for(UserFactory(), name="Theirs")
    client.force_login(person)
    token = tokens.find(raw)

    assert client.get(revoke_url(token)).status_code == 404
    assert client.post(revoke_url(token)).status_code == 404
    assert tokens.find(raw) is not None


def test_revoking_twice_is_harmless(client, person):
    token = tokens.find(token_for(person, name="Twice"))
    client.force_login(person)
    client.post(revoke_url(token))

    again = client.post(revoke_url(token), follow=True)

    assert again.status_code == 200
    assert "already revoked" in text_of(again)
    assert AuditEvent.objects.filter(action="api.token_revoked").count() == 1


# ------------------------------------------------------------------------------ the account


def test_a_deactivated_accounts_tokens_are_revoked_and_stay_so_when_it_comes_back(client):
    person = UserFactory(full_name="Roleless Rita")  # no role: the sweep deactivates her
    raw = token_for(person, name="Her script")

    assert lifecycle.deactivate_roleless() == 1

    token = ApiToken.objects.get(user=person)
    assert token.revoked_at is not None
    revoked = AuditEvent.objects.get(action="api.token_revoked")
    assert revoked.actor is None and "account" in revoked.summary
    person.refresh_from_db()
    assert invitations.reactivate(None, person)  # named again
    person.refresh_from_db()
    assert person.is_active
    assert api_client(raw).get("/api/v1/me").status_code == 401
    client.force_login(person)
    assert "Revoked" in text_of(client.get(LIST))


def test_an_account_switched_off_in_administration_loses_its_tokens(rf, admin_user):
    """The admin site's change (audited as every admin change is) ends the tokens too."""
    person = UserFactory()
    token_for(person)
    request = rf.post("/admin/")
    request.user = admin_user
    person.is_active = False

    UserAdmin(User, admin.site).save_model(request, person, form=None, change=True)

    token = ApiToken.objects.get(user=person)
    assert token.revoked_at is not None
    assert AuditEvent.objects.get(action="api.token_revoked").actor == admin_user


# ------------------------------------------------------------------------------ admin site


def test_the_admin_site_lists_tokens_read_only_and_never_their_digest(admin_client):
    person = UserFactory(full_name="Adam Admin-Seen")
    token = tokens.find(token_for(person, name="Seen in admin"))

    listing = admin_client.get(reverse("admin:api_apitoken_changelist"))
    detail = admin_client.get(reverse("admin:api_apitoken_change", args=[token.pk]))

    assert listing.status_code == detail.status_code == 200
    assert "Seen in admin" in text_of(listing) and token.prefix in text_of(listing)
    for page in (listing, detail):
        assert token.digest not in page.content.decode()
    assert admin_client.get(reverse("admin:api_apitoken_add")).status_code == 403
    admin_client.post(reverse("admin:api_apitoken_change", args=[token.pk]),
                      {"name": "Changed", "scope": "read"})
    admin_client.post(reverse("admin:api_apitoken_delete", args=[token.pk]), {"post": "yes"})
    token.refresh_from_db()
    assert token.name == "Seen in admin"
