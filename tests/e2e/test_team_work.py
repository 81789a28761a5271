"""The team's day in the browser: a team member lands on My work, takes an item, gives
another to a colleague, opens the dashboard and follows a count to the list it counts;
axe-core finds nothing on any of these pages."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from muster.accounts.models import TeamRole
from muster.work.models import Assignment

from ..factories import TODAY, team_member
from ..work import open_closeout, requested_grant, service_request, submitted_request
from .conftest import shoot

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
D = datetime.date


def test_the_team_takes_assigns_and_reads_its_dashboard(browsing, people, freeze_today):
    freeze_today(TODAY)
    late = requested_grant(people["mine"], "sas-viya", D(2026, 11, 10), so=people["so"])
    grant = requested_grant(people["other"], "confluence", D(2026, 11, 23))
    service_request(people["other"], "slack", D(2026, 11, 23), people["other_cor"])
    onboarding = submitted_request(people["mine"], people["cor"], D(2026, 11, 20))
    open_closeout(people["mine"], D(2026, 11, 2))
    colleague = team_member(TeamRole.Role.ONBOARDING_TEAM, full_name="Tom Colleague")
    me = people["onboarding_team"]
    axe = browsing.axe

    page = browsing.sign_in(me)
    expect(page.get_by_role("heading", level=1, name="My work")).to_be_visible()
    waiting = page.locator("section", has=page.locator("#waiting-heading"))
    expect(waiting.locator("tbody tr")).to_have_count(5)
    axe.scan(page, "My work")

    # Take the overdue grant: it moves to "Assigned to you".
    page.locator(f"#grant-{late.pk}").get_by_role("button", name=re.compile("^Take it")).click()
    expect(page.get_by_text("You took the access to confirm of Mine.")).to_be_visible()
    mine = page.locator("section", has=page.locator("#assigned-heading"))
    expect(mine.locator(f"#grant-{late.pk}")).to_contain_text(f"{me.full_name} (you)")
    expect(mine.locator(f"#grant-{late.pk}")).to_contain_text("Overdue by 4 business days")

    # Give the onboarding request to a colleague.
    row = page.locator(f"#onboarding-{onboarding.pk}")
    row.get_by_label(re.compile("^Assign to")).select_option(label="Tom Colleague")
    row.get_by_role("button", name=re.compile("^Assign")).click()
    expect(page.get_by_text("Tom Colleague now works on the onboarding request of Mine"))\
        .to_be_visible()
    assert Assignment.objects.get(onboarding_request=onboarding).assignee == colleague
    assert Assignment.objects.get(grant=late).assignee == me
    axe.scan(page, "My work, after taking and assigning")
    shoot(page, "my-work")

    # The dashboard, then the list behind its overdue count.
    page.get_by_role("link", name=re.compile("dashboard")).click()
    expect(page.get_by_role("heading", level=1, name="Dashboard")).to_be_visible()
    expect(page.get_by_role("heading", name="Aging")).to_be_visible()
    axe.scan(page, "dashboard")
    shoot(page, "dashboard")
    page.locator('a[href="/work/items/?due=overdue"]').click()
    expect(page.get_by_role("heading", level=1, name="Open work")).to_be_visible()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Overdue by 4 business days")
    expect(page.locator(f"#grant-{grant.pk}")).to_have_count(0)
    axe.scan(page, "open work, overdue")
    axe.assert_clean()
