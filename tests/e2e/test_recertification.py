"""Recertification in the browser: the onboarding team finds it in the header's
Administration group and opens a campaign (a form with errors first); the SO finds it on
their home page, keeps one grant and removes two in bulk; the team reads the progress.
axe-core finds nothing on any of these pages, each read at 320 px too."""

import re

import pytest
from playwright.sync_api import expect

from muster import clock
from muster.access.models import AccessGrant, GrantStatus
from muster.accounts.models import ContractRole, TeamRole
from muster.catalog.models import Service
from muster.contracts.models import ContractService
from muster.timeline import calendar

from ..factories import UserFactory, activate, give_role, make_contract, team_member
from .conftest import open_header_menu

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def contract_with_users():
    contract = activate(make_contract(name="Alder Analytics"))
    so = UserFactory(full_name="Sol Security")
    give_role(so, contract, ContractRole.Role.SO)
    for slug in ("confluence", "slack"):
        ContractService.objects.create(contract=contract, service=Service.objects.get(slug=slug),
                                       status=ContractService.Status.APPROVED)
    for name in ("Cody User", "Dana Data", "Eli Early"):
        user = UserFactory(full_name=name)
        give_role(user, contract, ContractRole.Role.CONTRACTOR_USER)
        for slug in ("confluence", "slack"):
            AccessGrant.objects.create(contract=contract, user=user,
                                       service=Service.objects.get(slug=slug),
                                       status=GrantStatus.ACTIVE, requested_by=so,
                                       activated_at=clock.now())
    return contract, so


def test_the_team_opens_a_campaign_and_the_so_certifies(browsing):
    contract, so = contract_with_users()
    team = team_member(TeamRole.Role.ONBOARDING_TEAM, full_name="Tess Team")
    axe = browsing.axe
    page = browsing.sign_in(team)

    open_header_menu(page, "Administration")
    page.get_by_role("link", name="Recertification").click()
    expect(page.get_by_role("heading", level=1, name="Recertification campaigns")).to_be_visible()
    axe.scan(page, "campaigns, none yet")

    page.get_by_role("link", name="Open a campaign").click()
    page.get_by_role("button", name="Open the campaign").click()
    expect(page.locator("#error-summary")).to_contain_text("This field is required")
    axe.scan(page, "open a campaign, with errors")

    due = calendar.add_business_days(clock.today(), 10)
    page.get_by_label("Name").fill("Winter access review")
    page.get_by_label("Due date").fill(due.isoformat())
    page.get_by_role("button", name="Open the campaign").click()
    expect(page.get_by_role("heading", level=1, name="Winter access review")).to_be_visible()
    expect(page.get_by_text("0 of 6 grants decided")).to_be_visible()
    axe.scan(page, "a campaign's progress")

    page = browsing.sign_in(so)
    page.get_by_role("link", name=f"6 of 6 grants to certify by {due:%B} {due.day}, "
                                   f"{due.year}").click()
    expect(page.get_by_role("heading", level=1, name="Certify access: Alder Analytics")
           ).to_be_visible()
    axe.scan(page, "the SO's page")

    page.get_by_role("button", name=re.compile(r"^Still needed\W+Cody User, Confluence$")
                     ).click()
    expect(page.get_by_text("1 decision(s) saved.")).to_be_visible()
    for name in ("Dana Data", "Eli Early"):  # USWDS draws the box: click its label
        page.locator("label", has_text=re.compile(rf"Choose\W+{name}, Slack")).click()
    page.get_by_label("Decision", exact=True).select_option("remove")
    page.get_by_role("button", name="Apply to the chosen grants").click()
    expect(page.get_by_text("2 decision(s) saved. Revoked: 2.")).to_be_visible()
    expect(page.get_by_text("3 of 6 grants left to certify")).to_be_visible()
    axe.scan(page, "the SO's page after decisions")
    assert AccessGrant.objects.filter(status=GrantStatus.REVOKED).count() == 2
    axe.assert_clean()
