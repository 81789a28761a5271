"""Pages run under the Content Security Policy in the browser: every page of every browser
test fails its test on a violation (conftest.py's Browsing), htmx keeps to the policy (no
style of its own, no eval), and axe-core still scans (it is run through the DevTools
protocol, which the policy does not govern)."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_a_violation_is_caught_and_named(browsing, people):
    page = browsing.sign_in(people["cor"])
    assert browsing.csp_violations == []

    # What an inline style in a template would do: the browser refuses it and says so.
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')")
    page.wait_for_function("document.body.lastElementChild.tagName === 'P'")
    page.reload()  # a round trip: the console message has arrived by the time it is back

    assert any("style-src" in v for v in browsing.csp_violations), browsing.csp_violations
    browsing.csp_violations.clear()  # caught: the test's own end has nothing left to fail on


def test_htmx_keeps_to_the_policy_and_axe_still_scans(browsing, people):
    page = browsing.sign_in(people["onboarding_team"])
    page.goto(browsing.url("/contracts/"))

    config = page.evaluate(
        "({eval: htmx.config.allowEval, styles: htmx.config.includeIndicatorStyles,"
        " scripts: htmx.config.allowScriptTags,"
        " inline: document.querySelectorAll('style').length})"
    )
    assert config == {"eval": False, "styles": False, "scripts": False, "inline": 0}

    # An update in place, under the policy.
    page.get_by_label("Stage").select_option("awarded")
    expect(page.locator("#results-heading")).to_have_text("0 contracts")

    browsing.axe.scan(page, "contract list under the policy")
    assert browsing.axe.scanned == ["contract list under the policy"]
    browsing.axe.assert_clean()


def test_the_welcome_package_print_view_keeps_its_own_styles(browsing, people):
    """The stored document's <style> is allowed by its hash: applied, and no violation."""
    from muster.contracts.models import Contract, ContractService, Stage
    from muster.onboarding.models import OnboardingRequest, Status
    from muster.onboarding.package import send_welcome_package

    mine = people["mine"]
    mine.services.update(status=ContractService.Status.APPROVED)
    OnboardingRequest.objects.create(contract=mine, status=Status.APPROVED,
                                     created_by=people["cor"])
    Contract.objects.filter(pk=mine.pk).update(stage=Stage.ONBOARDING)
    send_welcome_package(people["onboarding_team"], mine)
    page = browsing.sign_in(people["cor"])

    page.goto(browsing.url(f"/onboarding/contracts/{mine.pk}/welcome/v1/print/"))

    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome package")
    # html { font-size: 11pt } and, on screen, body { padding: 2rem ... }: its styles apply.
    sizes = page.evaluate("[getComputedStyle(document.documentElement).fontSize,"
                          " getComputedStyle(document.body).paddingTop]")
    assert sizes == ["14.6667px", "29.3333px"]


def test_the_admin_runs_under_the_policy_with_its_nonces(browsing):
    """Django's admin has inline bits of its own; they carry the response's nonce."""
    from ..factories import UserFactory

    admin = UserFactory(is_staff=True, is_superuser=True)
    page = browsing.sign_in(admin)

    for path in ("/admin/", "/admin/accounts/user/", f"/admin/accounts/user/{admin.pk}/change/"):
        page.goto(browsing.url(path))
        expect(page.locator("#content")).to_be_visible()
    # The change form, drawn with the admin's scripts and styles: no violation at the end.
    expect(page.get_by_role("button", name="Save", exact=True)).to_be_visible()
