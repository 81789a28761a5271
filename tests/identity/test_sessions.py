"""Sessions end on the server: after SESSION_IDLE_MINUTES without a request from the
person, and SESSION_ABSOLUTE_HOURS after signing in, whatever. The sign-in page then says
why. The warning script's question (how long is left?) and background requests are not
activity; "Stay signed in" (a POST) is."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from muster.audit.models import AuditEvent
from muster.identity import sessions
from muster.identity.models import Session
from tests.factories import PASSWORD, UserFactory
from tests.pages import text_of

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 11, 24, 14, 0, tzinfo=datetime.UTC)
IDLE_SIGNED_OUT = "You were signed out after 30 minutes without activity"


@pytest.fixture
def clock_at(time_machine):
    """clock_at(minutes): the clock stands still this many minutes after START."""
    def move(minutes: float = 0):
        time_machine.move_to(START + datetime.timedelta(minutes=minutes), tick=False)
    move(0)
    return move


@pytest.fixture
def person(db):
    return UserFactory(full_name="Ida Idle", email="ida@example.com")


@pytest.fixture
def signed_in(client, person, clock_at):
    """Signed in through the sign-in page at START."""
    response = client.post(reverse("account_login"),
                           {"login": person.email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:2000]
    return client


def is_signed_in(client) -> bool:
    return client.get(reverse("home")).status_code == 200


def test_a_session_idle_longer_than_the_limit_ends_and_the_sign_in_page_says_why(
        signed_in, clock_at):
    clock_at(31)
    response = signed_in.get(reverse("contracts:list"), follow=True)
    assert response.request["PATH_INFO"] == reverse("account_login")
    assert IDLE_SIGNED_OUT in text_of(response)
    assert not is_signed_in(signed_in)


def test_activity_keeps_the_session_until_the_absolute_limit(signed_in, clock_at):
    for minutes in range(20, 12 * 60, 20):  # a page every 20 minutes for 12 hours
        clock_at(minutes)
        assert signed_in.get(reverse("home")).status_code == 200, minutes
    clock_at(12 * 60)
    response = signed_in.get(reverse("home"), follow=True)
    assert response.request["PATH_INFO"] == reverse("account_login")
    assert "You were signed out 12 hours after signing in" in text_of(response)


def test_just_under_the_idle_limit_the_session_goes_on(signed_in, clock_at):
    clock_at(29.5)
    assert is_signed_in(signed_in)
    clock_at(29.5 + 29.5)
    assert is_signed_in(signed_in)


def test_asking_how_long_is_left_is_not_activity(signed_in, clock_at):
    clock_at(20)
    answer = signed_in.get(reverse("identity:session_status")).json()
    assert answer == {"signed_in": True, "seconds_left": 10 * 60,
                      "sign_in_url": reverse("account_login")}
    clock_at(31)
    assert not is_signed_in(signed_in)


def test_a_background_request_is_not_activity(signed_in, clock_at):
    clock_at(20)
    assert signed_in.get(reverse("home"), headers={"X-Muster-Background": "1"}).status_code == 200
    clock_at(31)
    assert not is_signed_in(signed_in)


def test_stay_signed_in_is_a_post_that_counts_as_activity(signed_in, clock_at):
    clock_at(28)
    answer = signed_in.post(reverse("identity:keep_alive")).json()
    assert answer["signed_in"] is True
    assert answer["seconds_left"] == 30 * 60
    clock_at(28 + 29)
    assert is_signed_in(signed_in)


def test_keep_alive_answers_only_a_post(signed_in, clock_at):
    response = signed_in.get(reverse("identity:keep_alive"))
    assert response.status_code == 405
    assert "This address is for a form" in text_of(response)


def test_keep_alive_needs_the_csrf_token(person, clock_at):
    client = Client(enforce_csrf_checks=True)
    client.force_login(person)
    response = client.post(reverse("identity:keep_alive"))
    assert response.status_code == 403
    assert b"signed_in" not in response.content


def test_an_htmx_request_is_activity(signed_in, clock_at):
    clock_at(25)
    response = signed_in.get(reverse("contracts:list"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    clock_at(50)
    assert is_signed_in(signed_in)


def test_an_htmx_request_after_the_idle_limit_reloads_the_whole_page(signed_in, clock_at):
    clock_at(31)
    response = signed_in.get(reverse("contracts:list"), headers={"HX-Request": "true"})
    assert response.headers["HX-Refresh"] == "true"
    response = signed_in.get(reverse("contracts:list"), follow=True)
    assert IDLE_SIGNED_OUT in text_of(response)


def test_the_limits_are_settings(signed_in, clock_at, settings):
    settings.SESSION_IDLE_MINUTES = 5
    clock_at(6)
    response = signed_in.get(reverse("home"), follow=True)
    assert "You were signed out after 5 minutes without activity" in text_of(response)


def test_after_the_idle_limit_the_status_says_signed_out(signed_in, clock_at):
    clock_at(31)
    answer = signed_in.get(reverse("identity:session_status")).json()
    assert answer["signed_in"] is False
    response = signed_in.get(reverse("account_login"))
    assert IDLE_SIGNED_OUT in text_of(response)


def test_an_ended_session_is_on_the_audit_record(signed_in, clock_at, person):
    clock_at(31)
    signed_in.get(reverse("home"))
    event = AuditEvent.objects.filter(action="account.session_ended").get()
    assert event.object_id == str(person.pk)
    assert event.after == {"reason": "idle"}


def test_a_session_row_names_its_person_so_theirs_can_be_ended_at_once(signed_in, person):
    other = Client()
    other.force_login(UserFactory())
    assert Session.objects.filter(user_id=person.pk).count() == 1
    assert sessions.end_sessions([person.pk]) == 1
    assert not is_signed_in(signed_in)
    assert is_signed_in(other)


def test_the_page_carries_the_warning_with_the_time_left(signed_in, clock_at):
    clock_at(10)
    page = signed_in.get(reverse("home")).content.decode()
    assert 'role="alertdialog"' in page
    assert 'data-seconds-left="1800"' in page
    assert "session-warning.js" in page


def test_stay_signed_in_too_late_answers_signed_out_and_the_sign_in_page_says_why(
        signed_in, clock_at):
    clock_at(31)
    response = signed_in.post(reverse("identity:keep_alive"),
                              headers={"Accept": "application/json"})
    assert response.json() == {"signed_in": False, "seconds_left": 0,
                               "sign_in_url": reverse("account_login")}
    assert IDLE_SIGNED_OUT in text_of(signed_in.get(reverse("account_login")))


def test_keep_alive_signed_out_leads_to_the_sign_in_page(client):
    response = client.post(reverse("identity:keep_alive"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
