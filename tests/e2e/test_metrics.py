"""The metrics page in the browser, on the demo's history: the team lead opens it, every
chart loads as an image under the Content Security Policy (and keeps it when opened on its
own), changes the period with and without JavaScript (a bad one says what is wrong), and
axe-core finds nothing."""

import re

import pytest
from playwright.sync_api import expect

from muster.accounts.models import User
from muster.demo import data as demo

from .conftest import shoot

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
CHARTS = 8


def test_the_team_lead_reads_the_metrics_and_changes_the_period(browsing):
    demo.load()
    lead = User.objects.get(email="lead@example.com")
    axe = browsing.axe
    page = browsing.sign_in(lead, demo.DEMO_PASSWORD)

    page.goto(browsing.url("/reports/metrics/"))
    expect(page.get_by_role("heading", level=1, name="Metrics")).to_be_visible()
    expect(page.get_by_role("heading", level=2, name="Closeouts by scenario")).to_be_visible()
    charts = page.locator("main img")
    expect(charts).to_have_count(CHARTS)
    # Every chart arrived and was drawn: an image that failed would have no natural width.
    page.wait_for_function(
        "[...document.querySelectorAll('main img')].every(i => i.complete && i.naturalWidth)")
    for i in range(CHARTS):
        assert charts.nth(i).get_attribute("alt").startswith("Chart: ")
    axe.scan(page, "metrics, the last 12 months")
    shoot(page, "metrics")

    # The period changes through the plain form (a GET): the summaries follow.
    page.get_by_label(re.compile(r"^From")).fill("2026-01-01")
    page.get_by_label(re.compile(r"^To")).fill("2026-03-31")
    page.get_by_role("button", name="Show the metrics for this period").click()
    expect(page).to_have_url(re.compile(r"start=2026-01-01&end=2026-03-31"))
    expect(page.locator(".usa-intro")).to_contain_text("from January 1, 2026 to March 31, 2026")
    expect(page.locator("#survey-satisfaction-summary")).to_be_visible()
    expect(page.locator("main img").first).to_have_attribute(
        "src", re.compile(r"start=2026-01-01&end=2026-03-31"))
    axe.scan(page, "metrics, January to March")

    # A period that ends before it starts: the error summary, and no charts.
    page.get_by_label(re.compile(r"^To")).fill("2025-12-31")
    page.get_by_role("button", name="Show the metrics for this period").click()
    expect(page.locator("#error-summary")).to_contain_text(
        "The period must end on or after the day it starts.")
    axe.scan(page, "metrics, a bad period")

    # A chart opened on its own keeps the policy: its style applies (allowed by its hash).
    page.goto(browsing.url("/reports/metrics/closeouts.svg"))
    size = page.evaluate("getComputedStyle(document.querySelector('.title')).fontSize")
    assert size == "20px"
    axe.assert_clean()


def test_without_javascript_the_period_form_works(browsing):
    lead = User.objects.create_user("lead@example.com", "a-long-pass-phrase-42",
                                    full_name="Lee Lead")
    from muster.accounts.models import TeamRole

    TeamRole.objects.create(user=lead, role=TeamRole.Role.TEAM_LEAD)
    page = browsing.sign_in(lead, "a-long-pass-phrase-42", javascript=False)

    page.goto(browsing.url("/reports/metrics/"))
    page.get_by_label(re.compile(r"^From")).fill("2026-05-01")
    page.get_by_label(re.compile(r"^To")).fill("2026-04-01")
    page.get_by_role("button", name="Show the metrics for this period").click()

    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("The period must end on or after the day it starts.")
    expect(page.locator("main img")).to_have_count(0)
    # (axe-core cannot run where JavaScript is off: the first test scans this state.)

    page.get_by_label(re.compile(r"^To")).fill("2026-06-30")
    page.get_by_role("button", name="Show the metrics for this period").click()
    expect(page.locator(".usa-intro")).to_contain_text("from May 1, 2026 to June 30, 2026")
    expect(page.locator("main img")).to_have_count(CHARTS)
