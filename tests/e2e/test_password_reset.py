"""Forgot your password, in Chromium: from the sign-in page's link to a new password, every
page of the way in Muster's words and clean under axe (the link is read from the outbox row
before delivery, as the SMTP test in tests/identity/test_password_reset.py delivers it)."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from muster.notifications.models import OutboxEmail

from ..factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
NEW = "a-brand-new-passphrase-42"


def test_forgot_password_walk(browsing, axe):
    dana = UserFactory(email="dana.reyes@example.com", full_name="Dana Reyes")
    page = browsing.new_page()
    page.goto(browsing.url("/accounts/login/"))

    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset your password")
    axe.scan(page, "reset request")
    page.get_by_label("Email address").fill("not-an-email")
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    axe.scan(page, "reset request, error")
    page.get_by_label("Email address").fill(dana.email)
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    axe.scan(page, "reset requested")

    body = OutboxEmail.objects.get().body
    link = urlsplit(re.search(r"https?://\S+/accounts/password/reset/key/\S+", body).group(0))
    page.goto(browsing.url(link.path))
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    axe.scan(page, "new password")
    page.get_by_label("New Password", exact=False).first.fill(NEW)
    page.get_by_label("New Password (again)", exact=False).fill(NEW + "x")
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    axe.scan(page, "new password, error")
    page.get_by_label("New Password", exact=False).first.fill(NEW)
    page.get_by_label("New Password (again)", exact=False).fill(NEW)
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your password is changed")
    axe.scan(page, "password changed")

    page.goto(browsing.url(link.path))
    expect(page.get_by_role("heading", level=1)).to_have_text("This link no longer works")
    axe.scan(page, "used link")
    axe.assert_clean()
