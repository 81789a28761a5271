"""The contract list's COR filter in the browser: typing part of a name offers the matching
CORs in a combobox (ARIA 1.2, suggestions from the server), the keyboard picks one and
the list shows that COR's contracts alone; axe-core finds nothing with the list open."""

import re

import pytest
from playwright.sync_api import expect

from muster.accounts.models import ContractRole

from ..factories import UserFactory, give_role, make_contract

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_typing_part_of_a_name_and_picking_a_cor_with_the_keyboard(browsing, people):
    oliver = UserFactory(full_name="Oliver Oak", email="oliver.oak@agency.example.gov")
    give_role(oliver, make_contract(name="Oakwood Support"), ContractRole.Role.COR)
    team = browsing.sign_in(people["onboarding_team"])
    heading = team.locator("#results-heading")
    team.goto(browsing.url("/contracts/"))
    expect(heading).to_have_text("3 contracts")
    team.evaluate("window.musterMarker = 'still here'")

    field = team.get_by_role("combobox", name="COR")
    listbox = team.get_by_role("listbox", name="COR suggestions")
    expect(field).to_have_attribute("aria-expanded", "false")
    field.press_sequentially("ol")

    # Olga Other (the `other` contract's COR) and Oliver Oak: both start with "ol".
    expect(listbox.get_by_role("option")).to_have_count(2)
    expect(field).to_have_attribute("aria-expanded", "true")
    expect(field).to_have_attribute("aria-controls", listbox.get_attribute("id"))
    expect(team.get_by_role("status").filter(has_text="suggestions")).to_have_text("2 suggestions")
    field.press("ArrowDown")
    field.press("ArrowDown")
    oak = listbox.get_by_role("option", name=re.compile("Oliver Oak"))
    expect(oak).to_have_attribute("aria-selected", "true")
    expect(field).to_have_attribute("aria-activedescendant", oak.get_attribute("id"))
    expect(field).to_be_focused()
    browsing.axe.scan(team, "contract list, COR suggestions open")

    field.press("Enter")

    expect(heading).to_have_text("1 contract")
    expect(
        team.locator("#contract-results").get_by_role("link", name="Oakwood Support")
    ).to_be_visible()
    expect(field).to_have_value("Oliver Oak <oliver.oak@agency.example.gov>")
    expect(field).to_have_attribute("aria-expanded", "false")
    expect(team).to_have_url(re.compile(r"/contracts/\?.*cor=Oliver"))
    assert team.evaluate("window.musterMarker === 'still here'")  # in place (htmx)
    browsing.axe.scan(team, "contract list, filtered by a COR picked")
    browsing.axe.assert_clean()
