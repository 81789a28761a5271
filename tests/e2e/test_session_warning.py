"""The idle-session warning in the browser, with a tiny idle time: shortly before the end
an alertdialog takes the focus; "Stay signed in" keeps the session past its first end;
left alone, the page goes to the sign-in page, which says why. axe finds nothing."""

import time

import pytest
from playwright.sync_api import expect

from ..factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

IDLE_SECONDS = 15
WARNING_SECONDS = 10


def test_the_warning_shows_keeps_the_session_and_then_lets_it_end(browsing, settings):
    settings.SESSION_IDLE_MINUTES = IDLE_SECONDS / 60
    settings.SESSION_WARNING_SECONDS = WARNING_SECONDS
    person = UserFactory(full_name="Wanda Warned")
    axe = browsing.axe
    page = browsing.sign_in(person)
    signed_in_at = time.monotonic()
    page.goto(browsing.url("/"))
    page.get_by_role("link", name="Contracts").first.focus()

    dialog = page.get_by_role("alertdialog", name="Your session is about to end")
    expect(dialog).to_be_visible(timeout=(IDLE_SECONDS + 5) * 1000)
    expect(dialog).to_be_focused()
    expect(dialog).to_contain_text("you will be signed out in")
    axe.scan(page, "home, with the session warning")

    dialog.get_by_role("button", name="Stay signed in").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("link", name="Contracts").first).to_be_focused()  # back where it was

    # Past the first session's end: still signed in, and warned again before the new end.
    expect(dialog).to_be_visible(timeout=(IDLE_SECONDS + 5) * 1000)
    remaining = IDLE_SECONDS + 1 - (time.monotonic() - signed_in_at)
    if remaining > 0:
        page.wait_for_timeout(remaining * 1000)
    state = page.evaluate("""() => fetch('/accounts/session/', {headers: {Accept:
        'application/json', 'X-Muster-Background': '1'}}).then(r => r.json())""")
    assert state["signed_in"] is True

    # Left alone: the page goes to the sign-in page, which says why.
    page.wait_for_url("**/accounts/login/**", timeout=(IDLE_SECONDS + 5) * 1000)
    expect(page.get_by_text("You were signed out after")).to_be_visible()
    expect(page.get_by_text("without activity")).to_be_visible()
    axe.scan(page, "sign-in page after the session ended")
    page.goto(browsing.url("/"))
    expect(page).to_have_url(browsing.url("/accounts/login/?next=/"))
    axe.assert_clean()


def test_without_javascript_the_session_simply_ends(browsing, settings):
    settings.SESSION_IDLE_MINUTES = 3 / 60
    person = UserFactory(full_name="Nico NoScript")
    page = browsing.sign_in(person, javascript=False)
    expect(page.get_by_role("alertdialog")).to_have_count(0)  # hidden: not in the page's tree
    page.wait_for_timeout(3500)
    page.goto(browsing.url("/contracts/"))
    expect(page).to_have_url(browsing.url("/accounts/login/?next=/contracts/"))
    expect(page.get_by_text("You were signed out after")).to_be_visible()
