"""The evidence package in the browser: the COR finds the button on the contract page,
downloads the zip (which verifies), reads the page that explains it, and axe-core finds
nothing on either page."""

import pytest
from playwright.sync_api import expect

from muster.accounts.models import ContractRole
from muster.evidence.verify import verify

from ..factories import UserFactory, give_role, make_contract

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_the_cor_downloads_the_evidence_package(browsing, tmp_path):
    contract = make_contract(name="Alder Analytics", contract_number="75FCMC26C0777")
    cor = UserFactory(full_name="Cora COR")
    give_role(cor, contract, ContractRole.Role.COR)
    axe = browsing.axe
    page = browsing.sign_in(cor)

    page.goto(browsing.url(contract.get_absolute_url()))
    expect(page.get_by_role("heading", level=2, name="Evidence for auditors")).to_be_visible()
    axe.scan(page, "contract page with the evidence panel")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download evidence package").click()
    download = info.value
    assert download.suggested_filename.startswith("evidence-75FCMC26C0777-")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    result = verify(str(saved))
    assert result.ok, result.problems

    page.get_by_role("link", name="What the evidence package holds").click()
    expect(page.get_by_role("heading", level=1,
                            name="Evidence package of Alder Analytics")).to_be_visible()
    axe.scan(page, "the evidence package's page")
    axe.assert_clean()
