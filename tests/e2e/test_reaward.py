"""Closeout scenario 1 in the browser: the COR's answers, the "This will create" page (its
Change and Confirm), and the team's undo of the re-award, each page scanned by axe-core."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from muster.closeout.choice import open_closeout
from muster.contracts.models import Contract, ContractService, Stage

from ..factories import activate

NOTICE_DAY = datetime.date(2027, 10, 1)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def pick(page, field_id):
    """A USWDS radio (the input sits off-screen): focus it and press Space."""
    page.locator(f"#{field_id}").focus()
    page.keyboard.press("Space")


def test_the_cor_confirms_the_reaward_and_the_team_undoes_it(browsing, people, freeze_today):
    freeze_today(NOTICE_DAY)
    mine = people["mine"]
    mine.services.update(status=ContractService.Status.APPROVED)
    mine = activate(mine)
    assert open_closeout(None, mine.pk)
    axe = browsing.axe

    cor = browsing.sign_in(people["cor"])
    cor.goto(browsing.url(f"/closeout/contracts/{mine.pk}/closeout/scenario/1/"))
    cor.get_by_label("New contract number").fill("75FCMC27C0777")
    cor.get_by_label("New period of performance: start").fill("2027-12-01")
    cor.get_by_label("New period of performance: end").fill("2028-11-30")
    pick(cor, "id_dua_still_valid_1")
    pick(cor, "id_so_spoc_unchanged_0")
    cor.get_by_label(re.compile("^Data the contractor worked on")).fill("None")
    pick(cor, "id_same_data_needed_1")
    cor.get_by_role("button", name="Continue: review what will be created").click()

    expect(cor.locator("h1")).to_have_text("Confirm the re-award to the incumbent")
    expect(cor.locator("main")).to_contain_text("This will create a new contract record")
    expect(cor.locator("main")).to_contain_text("75FCMC27C0777")
    axe.scan(cor, "re-award confirmation")
    cor.get_by_role("button", name="Change the answers").click()
    expect(cor.get_by_label("New contract number")).to_have_value("75FCMC27C0777")
    assert not Contract.objects.filter(contract_number="75FCMC27C0777").exists()
    cor.get_by_role("button", name="Continue: review what will be created").click()
    cor.get_by_role("button", name=re.compile("^Confirm: create")).click()
    expect(cor.locator(".usa-alert--success")).to_contain_text("Scenario chosen")
    assert Contract.objects.get(contract_number="75FCMC27C0777").stage == Stage.REAWARDED

    team = browsing.sign_in(people["onboarding_team"])
    team.goto(browsing.url(f"/closeout/contracts/{mine.pk}/closeout/"))
    expect(team.get_by_role("heading", name="Undo the re-award")).to_be_visible()
    axe.scan(team, "closeout with the undo form")
    team.get_by_role("button", name="Undo the re-award").click()
    expect(team.locator("#error-summary")).to_contain_text("Say why the re-award is undone.")
    axe.scan(team, "undo form with an error")
    team.get_by_label("Why the re-award is undone").fill("The COR chose the wrong scenario.")
    team.get_by_role("button", name="Undo the re-award").click()
    expect(team.locator(".usa-alert--success")).to_contain_text("The re-award is undone")
    axe.assert_clean()
