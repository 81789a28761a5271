"""The accounts page in the browser: the team lead finds it in the header, filters it in
place (htmx), and axe-core finds nothing."""

import pytest
from playwright.sync_api import expect

from muster.accounts.models import ContractRole, TeamRole

from ..factories import UserFactory, give_role, make_contract, team_member
from .conftest import open_header_menu

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_the_lead_filters_the_accounts_in_place(browsing):
    lead = team_member(TeamRole.Role.TEAM_LEAD, full_name="Tess Lead")
    contract = make_contract()
    give_role(UserFactory(full_name="Sol Security"), contract, ContractRole.Role.SO)
    UserFactory(full_name="Gus Gone", is_active=False, deactivated_reason="no_role")
    axe = browsing.axe
    page = browsing.sign_in(lead)

    open_header_menu(page, "Administration")
    page.get_by_role("link", name="Accounts").click()
    expect(page.get_by_role("heading", level=1, name="Accounts")).to_be_visible()
    expect(page.get_by_role("heading", name="3 people")).to_be_visible()
    axe.scan(page, "accounts")

    page.get_by_label("Status").select_option("disabled")
    results = page.locator("#people-results")
    expect(results.get_by_role("heading", name="1 person")).to_be_visible()
    expect(results).to_contain_text("Gus Gone")
    expect(results).not_to_contain_text("Sol Security")
    assert "status=disabled" in page.url
    axe.scan(page, "accounts, disabled only")
    axe.assert_clean()
