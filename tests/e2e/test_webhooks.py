"""The webhook pages in the browser: the onboarding team finds them in the header's
Administration group, registers an endpoint for a real receiver (a form with errors first),
copies the secret shown once, reads a delivery with each attempt's answer, sends it again,
and axe-core finds nothing on any of these pages."""

import re

import pytest
from playwright.sync_api import expect

from muster.access import grants
from muster.access.models import AccessGrant, GrantStatus
from muster.accounts.models import ContractRole, TeamRole
from muster.catalog.models import Service
from muster.contracts.models import ContractService
from muster.webhooks import sending
from muster.webhooks.models import Endpoint
from muster.webhooks.signing import verify
from tests.webhooks.receiver import Receiver

from ..factories import UserFactory, give_role, make_contract, team_member
from .conftest import open_header_menu

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def receiver():
    running = Receiver().start()
    yield running
    running.stop()


def revoked_grant():
    contract = make_contract(name="Alder Analytics")
    service = Service.objects.get(slug="confluence")
    ContractService.objects.create(contract=contract, service=service,
                                   status=ContractService.Status.APPROVED)
    so, cody = UserFactory(), UserFactory(full_name="Cody User")
    give_role(so, contract, ContractRole.Role.SO)
    give_role(cody, contract, ContractRole.Role.CONTRACTOR_USER)
    grant = AccessGrant.objects.create(contract=contract, user=cody, service=service,
                                       status=GrantStatus.ACTIVE, requested_by=so)
    grants.revoke(so, grant)


def test_the_team_registers_an_endpoint_and_sends_a_delivery_again(browsing, receiver):
    team = team_member(TeamRole.Role.ONBOARDING_TEAM, full_name="Tess Team")
    axe = browsing.axe
    page = browsing.sign_in(team)

    open_header_menu(page, "Administration")
    page.get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", level=1, name="Webhooks")).to_be_visible()
    axe.scan(page, "webhooks, none yet")

    page.get_by_role("link", name="Register an endpoint").click()
    page.get_by_label("URL").fill("ftp://nowhere.example.org/")
    page.get_by_role("button", name="Register").click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Use an http:// or https:// address.")
    expect(summary).to_contain_text("Choose at least one event type.")
    axe.scan(page, "register, with errors")

    page.get_by_label("URL").fill(receiver.url)
    page.get_by_label("Description").fill("Identity system")
    page.locator("label", has_text="Access grant revoked").click()  # USWDS draws the box
    expect(page.get_by_label("Access grant revoked")).to_be_checked()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", level=1, name="Identity system")).to_be_visible()
    secret = Endpoint.objects.get().secret
    expect(page.get_by_text(secret)).to_be_visible()
    axe.scan(page, "endpoint, with its secret shown once")

    revoked_grant()
    receiver.status = 500
    sending.deliver_due()
    page.reload()
    expect(page.get_by_text(secret)).to_have_count(0)
    expect(page.get_by_role("heading", name="Deliveries (1)")).to_be_visible()
    page.get_by_role("link", name=re.compile("Access grant revoked")).click()
    expect(page.get_by_role("heading", level=1, name="Access grant revoked")).to_be_visible()
    expect(page.get_by_text("HTTP 500")).to_be_visible()
    axe.scan(page, "a delivery that failed")

    receiver.status = 200
    page.get_by_role("button", name="Send again").click()
    expect(page.get_by_text("will be sent again in a moment")).to_be_visible()
    sending.deliver_due()
    page.reload()
    expect(page.get_by_text("HTTP 200 (delivered)")).to_be_visible()
    assert len(receiver.requests) == 2
    assert all(verify(secret, r.headers["Muster-Signature"], r.body) for r in receiver.requests)
    axe.scan(page, "the delivery, delivered")

    page.get_by_role("navigation", name="Breadcrumbs").get_by_role(
        "link", name="Identity system").click()
    page.get_by_role("link", name="Delete").click()
    axe.scan(page, "delete, asked first")
    page.get_by_role("button", name="Delete the endpoint").click()
    expect(page.get_by_text("No endpoint yet.")).to_be_visible()
    axe.assert_clean()
