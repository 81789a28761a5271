"""A roster member's EUA background check in the browser (issue 16): the SO finds the
"EUA check" column on the roster, opens the person's page, sees which grant needs the check
complete, records it (once refused: someone changed it meanwhile), and axe-core finds
nothing on these pages, at full width or 320 px wide."""

import pytest
from playwright.sync_api import expect

from muster.access.models import AccessGrant, GrantStatus
from muster.accounts.models import ContractRole
from muster.catalog.models import Service
from muster.contracts.models import ContractService

from ..factories import UserFactory, give_role, make_contract

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
EUA = ContractRole.EuaCheck


def test_the_so_records_a_members_eua_check(browsing):
    contract = make_contract(name="Alder Analytics")
    service = Service.objects.get(slug="confluence")
    ContractService.objects.create(contract=contract, service=service,
                                   status=ContractService.Status.APPROVED)
    so, cody = UserFactory(full_name="Sol Security"), UserFactory(full_name="Cody User")
    give_role(so, contract, ContractRole.Role.SO)
    give_role(cody, contract, ContractRole.Role.CONTRACTOR_USER)
    AccessGrant.objects.create(contract=contract, user=cody, service=service,
                               status=GrantStatus.ACTIVE, requested_by=so,
                               eua_job_code=service.eua_job_code)
    axe = browsing.axe
    page = browsing.sign_in(so)

    page.goto(browsing.url(f"/access/contracts/{contract.pk}/roster/"))
    expect(page.get_by_role("columnheader", name="EUA check")).to_be_visible()
    axe.scan(page, "roster, with the EUA check column")
    page.get_by_role("link", name="Cody User").click()
    expect(page.get_by_role("heading", level=1, name="Cody User")).to_be_visible()
    expect(page.get_by_text("Confluence needs the EUA check complete (CONFL_User)")
           ).to_be_visible()
    axe.scan(page, "member, check not started")

    # The onboarding team records it meanwhile: the SO's choice does not overwrite it.
    ContractRole.objects.filter(user=cody, role=ContractRole.Role.CONTRACTOR_USER).update(
        eua_check=EUA.INITIATED)
    page.get_by_role("combobox", name="EUA background check").select_option("In progress")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("changed since you opened the page")).to_be_visible()
    axe.scan(page, "member, a stale choice refused")

    page.get_by_role("combobox", name="EUA background check").select_option("Complete")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Cody User's EUA background check is now “Complete”.")
           ).to_be_visible()
    expect(page.get_by_text("needs the EUA check complete")).to_have_count(0)
    history = page.get_by_role("region", name="History")
    expect(history.get_by_text("Cody User's EUA background check: Complete")).to_be_visible()
    axe.scan(page, "member, check complete")
    axe.assert_clean()
