"""Bulk grant actions in a real browser: the rows' checkboxes belong to the list's one form
through their `form` attribute (each row keeps its own Confirm form), so selecting rows and
pressing the one button confirms them, and the list comes back with what was done and what
was refused; the SO does the same on the roster to revoke, with JavaScript off (plain HTML:
nothing needs a script). The pages are scanned by axe-core and checked at 320 CSS pixels
(axe-core runs in the page: a scan needs JavaScript on)."""

import pytest
from playwright.sync_api import expect

from muster.access.models import AccessGrant, GrantStatus
from muster.accounts.models import ContractRole

from ..access import approve, give_dua
from ..factories import TODAY, UserFactory, give_role

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def pick(page, label):
    """Tick a USWDS checkbox by its label, as a person does (the input itself is moved
    off-screen; its label draws the box), and check it is ticked."""
    box = page.get_by_label(label, exact=True)
    page.locator(f"label[for='{box.get_attribute('id')}']").click()
    expect(box).to_be_checked()


def test_confirming_then_revoking_several_grants_without_javascript(browsing, people,
                                                                    freeze_today):
    freeze_today(TODAY)
    mine = people["mine"]
    sas, confluence = approve(mine, "sas-viya"), approve(mine, "confluence")
    dana = UserFactory(full_name="Dana Dev")
    give_role(dana, mine, ContractRole.Role.CONTRACTOR_USER)
    made = {}
    for user, service in ((people["contractor_user"], sas), (people["contractor_user"],
                                                             confluence), (dana, confluence)):
        made[(user.full_name, service.name)] = AccessGrant.objects.create(
            contract=mine, user=user, service=service, status=GrantStatus.REQUESTED,
            eua_job_code=service.eua_job_code, requested_by=people["so"])
    axe = browsing.axe

    # No valid DUA: SAS Viya is refused, the two Confluence grants go through.
    team = browsing.sign_in(people["onboarding_team"])
    team.goto(browsing.url("/access/pending/"))
    axe.scan(team, "access to confirm, rows to select")
    for label in ("Cody User's SAS Viya access on Mine", "Cody User's Confluence access on Mine",
                  "Dana Dev's Confluence access on Mine"):
        pick(team, f"Select {label}")
    team.get_by_role("button", name="Confirm the selected access").click()

    summary = team.locator("#bulk-summary")
    expect(summary).to_contain_text("Confirmed 2 of the 3 access grants you selected")
    expect(summary).to_contain_text("Dana Dev's Confluence access on Mine")
    expect(summary).to_contain_text("Cody User's SAS Viya access on Mine: You cannot confirm "
                                    "SAS Viya while the contract's Data Use Agreement is not "
                                    "valid.")
    axe.scan(team, "access to confirm, after confirming several")
    assert {k: AccessGrant.objects.get(pk=g.pk).status for k, g in made.items()} == {
        ("Cody User", "SAS Viya"): GrantStatus.REQUESTED,
        ("Cody User", "Confluence"): GrantStatus.ACTIVE,
        ("Dana Dev", "Confluence"): GrantStatus.ACTIVE,
    }
    give_dua(mine)

    # The SO revokes Cody's two grants from the roster, in a browser with JavaScript off.
    roster = browsing.url(f"/access/contracts/{mine.pk}/roster/")
    seen = browsing.sign_in(people["so"])
    seen.goto(roster)
    axe.scan(seen, "roster, grants to select")
    so = browsing.sign_in(people["so"], javascript=False)
    so.goto(roster)
    pick(so, "Select Cody User's SAS Viya access")
    pick(so, "Select Cody User's Confluence access")
    so.get_by_role("button", name="Revoke the selected access").click()
    expect(so.locator("#bulk-summary")).to_contain_text(
        "Revoked 2 of the 2 access grants you selected")
    expect(so.locator("#bulk-summary")).to_contain_text("Cody User's SAS Viya access")
    assert AccessGrant.objects.filter(status=GrantStatus.REVOKED).count() == 2
    axe.assert_clean()
