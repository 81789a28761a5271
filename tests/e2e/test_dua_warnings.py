"""The DUA expiry warning in the browser: the COR opens a contract whose DUA expires in a
week, reads which access will pause, follows the link to upload the renewed DUA, uploads
it, and the warning is gone; axe-core finds nothing on these pages (320 px reflow too)."""

import datetime

import pytest
from playwright.sync_api import expect

from muster import clock
from muster.access.models import AccessGrant, GrantStatus
from muster.accounts.models import ContractRole
from muster.catalog.models import Service
from muster.contracts.models import ContractService, DataUseAgreement
from tests.access.test_dua import make_dua

from ..factories import UserFactory, give_role, make_contract, pdf_bytes

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_the_cor_sees_the_warning_and_uploads_the_renewed_dua(browsing, tmp_path):
    today = clock.today()
    expiry = today + datetime.timedelta(days=7)
    contract = make_contract(name="Alder Analytics")
    sas = Service.objects.get(slug="sas-viya")
    ContractService.objects.create(contract=contract, service=sas,
                                   status=ContractService.Status.APPROVED)
    cor, so = UserFactory(full_name="Cora COR"), UserFactory()
    give_role(cor, contract, ContractRole.Role.COR)
    give_role(so, contract, ContractRole.Role.SO)
    for name in ("Ana Analyst", "Ben Builder"):
        user = UserFactory(full_name=name)
        give_role(user, contract, ContractRole.Role.CONTRACTOR_USER)
        AccessGrant.objects.create(contract=contract, user=user, service=sas,
                                   status=GrantStatus.ACTIVE, requested_by=so)
    make_dua(contract, expiry=expiry, effective=today - datetime.timedelta(days=300))
    axe = browsing.axe

    page = browsing.sign_in(cor)
    page.goto(browsing.url(contract.get_absolute_url()))
    alert = page.locator("#dua-expiry-warning")
    expect(alert).to_contain_text(f"DUA DUA-1 expires on {expiry:%B} {expiry.day}, "
                                  f"{expiry.year} (in 7 days): SAS Viya access for 2 users "
                                  "will pause.")
    axe.scan(page, "contract page, DUA expiring in 7 days")

    page.get_by_role("link", name="Upload the renewed DUA").click()
    expect(page.get_by_role("heading", name="Upload a new signed DUA")).to_be_visible()
    document = tmp_path / "renewed.pdf"
    document.write_bytes(pdf_bytes())
    page.get_by_label("DUA number").fill("DUA-2")
    page.get_by_label("Effective date").fill(today.isoformat())
    page.get_by_label("Expiry date").fill((expiry + datetime.timedelta(days=365)).isoformat())
    page.set_input_files("input[type=file]", str(document))
    page.get_by_role("button", name="Upload the DUA").click()
    expect(page.get_by_text("DUA-2").first).to_be_visible()
    assert DataUseAgreement.objects.filter(number="DUA-2").exists()

    page.goto(browsing.url(contract.get_absolute_url()))
    expect(page.locator("#dua-expiry-warning")).to_have_count(0)
    axe.scan(page, "contract page, DUA renewed")
    axe.assert_clean()
