"""The access waiting for confirmation, in the browser: Confirm on a row replaces that row
in place (htmx) with its new state and a status message that takes the focus; the page
never reloads, and axe-core finds nothing before or after."""

import pytest
from playwright.sync_api import expect

from muster.access.models import AccessGrant, GrantStatus

from ..access import approve
from ..factories import TODAY

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
NOT_RELOADED = "window.musterMarker === 'still here'"  # a page load would forget it


def test_confirming_a_row_replaces_it_in_place_and_focuses_its_message(
        browsing, people, freeze_today):
    freeze_today(TODAY)
    confluence = approve(people["mine"], "confluence")
    grant = AccessGrant.objects.create(
        contract=people["mine"], user=people["contractor_user"], service=confluence,
        status=GrantStatus.REQUESTED, eua_job_code=confluence.eua_job_code,
        requested_by=people["so"],
    )
    axe = browsing.axe
    team = browsing.sign_in(people["onboarding_team"])
    team.goto(browsing.url("/access/pending/"))
    row = team.locator(f"#grant-{grant.pk}")
    expect(row).to_be_visible()
    axe.scan(team, "access to confirm")
    team.evaluate("window.musterMarker = 'still here'")

    row.get_by_role("button", name="Confirm").click()

    swapped = team.locator(f"#grant-{grant.pk}")
    status = swapped.get_by_role("status")
    expect(status).to_contain_text("access to Confluence is active")
    expect(status).to_be_focused()
    expect(swapped.get_by_role("button", name="Confirm")).to_have_count(0)
    assert team.evaluate(NOT_RELOADED)
    assert AccessGrant.objects.get(pk=grant.pk).status == GrantStatus.ACTIVE
    axe.scan(team, "access to confirm, a row confirmed in place")
    axe.assert_clean()
