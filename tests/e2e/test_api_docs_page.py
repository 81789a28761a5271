"""The API's documentation page in the browser: a COR finds it in the account bar and reads
an operation's example, with and without JavaScript; axe-core finds nothing (reflow at 320
CSS pixels included: the curl lines wrap)."""

import pytest
from playwright.sync_api import expect

from muster.accounts.models import ContractRole

from ..factories import UserFactory, give_role, make_contract

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def read_the_documentation(page) -> None:
    account_bar = page.get_by_role("navigation", name="Your account")
    account_bar.get_by_role("link", name="API", exact=True).click()  # not "API tokens"

    expect(page.get_by_role("heading", level=1)).to_have_text("Muster API (version 1)")
    operation = page.locator("#me")
    expect(operation.get_by_role("heading", level=3)).to_contain_text("GET /api/v1/me")
    expect(operation.locator("pre")).to_contain_text('-H "Authorization: Bearer $MUSTER_TOKEN"')
    expect(page.get_by_role("link", name="the document itself, as JSON")).to_have_attribute(
        "href", "/api/v1/openapi.json")


def test_a_cor_reads_the_api_documentation(browsing):
    cor = UserFactory(full_name="Cora COR")
    give_role(cor, make_contract(), ContractRole.Role.COR)

    read_the_documentation(browsing.sign_in(cor, javascript=False))
    page = browsing.sign_in(cor)
    read_the_documentation(page)

    browsing.axe.scan(page, "API documentation")
    browsing.axe.assert_clean()
