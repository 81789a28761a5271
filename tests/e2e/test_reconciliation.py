"""The reconciliation page in the browser: the onboarding team finds it in the header's
Reports group, reads that there is nothing to reconcile, then every kind of finding with
its counts, filters by kind, follows a row to where it is fixed; axe-core finds nothing
on these pages, and they reflow at 320 pixels."""

import pytest
from playwright.sync_api import expect

from tests.reconciliation.conftest import build

from .conftest import open_header_menu, shoot

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_the_team_reads_the_findings_and_follows_one_to_its_fix(browsing, freeze_today):
    from muster.accounts.models import TeamRole
    from tests.factories import TODAY, team_member

    freeze_today(TODAY)
    reader = team_member(TeamRole.Role.ONBOARDING_TEAM, full_name="Rita Reader")
    axe = browsing.axe
    page = browsing.sign_in(reader)

    open_header_menu(page, "Reports")
    page.get_by_role("link", name="Reconciliation").click()
    expect(page.get_by_role("heading", level=1, name="Reconciliation")).to_be_visible()
    expect(page.get_by_text("Nothing to reconcile.")).to_be_visible()
    axe.scan(page, "reconciliation, nothing to reconcile")

    build(freeze_today)
    page.reload()
    expect(page.get_by_text("8 findings in all.")).to_be_visible()
    expect(page.get_by_role("heading", name="On the rosters of two contractors (2)")
           ).to_be_visible()
    axe.scan(page, "reconciliation, every kind")
    shoot(page, "reconciliation")

    dua = "Access without a valid Data Use Agreement"
    page.get_by_label("Kind of finding").select_option(label=dua)
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name=f"{dua} (1)")).to_be_visible()
    expect(page.get_by_text("Una Waiting")).to_have_count(0)
    axe.scan(page, "reconciliation, one kind")

    page.get_by_role("link", name="Upload a valid DUA on the contract's DUA page").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Data Use Agreement")
    axe.assert_clean()
