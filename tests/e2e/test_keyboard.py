"""The intake wizard with the keyboard alone: Tab, Shift+Tab, Space, Enter and typing, no
mouse, no clicks, no fill(). A bad submit moves focus to the error summary, and its link
leads to the field."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from muster.accounts.models import ContractRole, TeamRole
from muster.contracts.models import Contract
from muster.onboarding import services as onboarding
from muster.onboarding.models import OnboardingRequest

from ..factories import PASSWORD, TODAY, make_contract, team_member

NAME = "Keyboard Measures Support"
MAX_TABS = 80

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return "";
  const label = el.labels && el.labels.length ? el.labels[0].innerText : "";
  return (label || el.getAttribute("aria-label") || el.innerText || el.value || el.id || "")
    .replace(/\\s+/g, " ").trim();
}"""


def focused(page) -> str:
    return page.evaluate(FOCUSED)


def tab_to(page, name: str | re.Pattern, *, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until the focused element's label or text matches."""
    pattern = name if isinstance(name, re.Pattern) else re.compile(rf"^{re.escape(name)}")
    seen = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        now = focused(page)
        if pattern.search(now):
            return
        seen.append(now)
    raise AssertionError(f"Tab never reached {name!r} on {page.url}; passed: {seen}")


def type_into(page, name, text: str, *, backwards: bool = False) -> None:
    tab_to(page, name, backwards=backwards)
    page.keyboard.type(text)


def type_date(page, name, day: datetime.date) -> None:
    """A date input in an en-US Chromium takes month, day and year typed in a row."""
    tab_to(page, name)
    page.keyboard.type(f"{day:%m%d%Y}")
    assert page.evaluate("() => document.activeElement.value") == day.isoformat()


def press_button(page, name: str) -> None:
    tab_to(page, name)
    page.keyboard.press("Enter")
    page.wait_for_load_state()


@pytest.fixture
def awarded(freeze_today):
    freeze_today(TODAY)
    cor = team_member(TeamRole.Role.COR, email="kim.cor@agency.example", full_name="Kim Cor")
    contract = make_contract(
        cor,
        name=NAME,
        contract_number="75FCMC27C0099",
        estimated_award_date=datetime.date(2026, 11, 20),
    )
    ContractRole.objects.get_or_create(user=cor, contract=contract, role=ContractRole.Role.COR)
    onboarding.notify_award(cor, contract, award_date=TODAY)
    return cor, Contract.objects.get(pk=contract.pk)


def test_the_intake_wizard_with_the_keyboard_alone(browsing, awarded):
    cor, contract = awarded
    page = browsing.new_page()
    keys = page.keyboard

    # Sign in.
    page.goto(browsing.url("/accounts/login/"))
    type_into(page, "Email address", cor.email)
    type_into(page, "Password", PASSWORD)
    keys.press("Enter")
    expect(page.get_by_text(f"Signed in as {cor.full_name}")).to_be_visible()

    # The intake overview: each screen is a link, opened with Enter.
    page.goto(browsing.url(f"/onboarding/contracts/{contract.pk}/intake/"))
    tab_to(page, re.compile(r"^Start: Contract and period of performance"))
    keys.press("Enter")
    expect(page.locator("h1")).to_contain_text("Contract and period of performance")

    # Screen 1, submitted without its dates: focus lands on the error summary.
    press_button(page, "Save and continue")
    expect(page).to_have_title(re.compile(r"^Error: "))
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("There are 2 problems")
    # Its first link leads to the field.
    keys.press("Tab")
    assert focused(page).startswith("Period of performance start"), focused(page)
    keys.press("Enter")
    expect(page).to_have_url(re.compile(r"#id_pop_start$"))
    expect(page.locator("#id_pop_start")).to_be_focused()
    keys.type("12012026")
    type_date(page, "Period of performance end", datetime.date(2027, 11, 30))
    press_button(page, "Save and continue")

    # Screen 2: the organization; Enter in a text field submits the screen.
    expect(page.locator("h1")).to_contain_text("Organization")
    type_into(page, "Organization name", "Keystroke Analytics LLC")
    type_into(page, "HARP organization name", "KEYSTROKE ANALYTICS")
    keys.press("Enter")

    # Screen 3: the people; the EUA check is a select, chosen by typing its option.
    expect(page.locator("h1")).to_contain_text("People")
    type_into(page, "COR: phone", "202-555-0100")
    for role, name, email in (
        ("POC", "Pat Poc", "pat@keystroke.example"),
        ("SO", "Sid So", "sid@keystroke.example"),
        ("SPOC", "Sue Spoc", "sue@keystroke.example"),
    ):
        type_into(page, re.compile(rf"\({role}\): full name"), name)
        type_into(page, re.compile(rf"\({role}\): email"), email)
        type_into(page, re.compile(rf"\({role}\): phone"), "202-555-0111")
        if role != "POC":
            type_into(page, re.compile(rf"\({role}\): HARP ID"), f"{name.split()[0]}{role}01")
            tab_to(page, re.compile(rf"\({role}\): EUA background check"))
            keys.type("Initiated")
    press_button(page, "Save and continue")

    # Screen 4: the type of work (a textarea: Enter there is a new line).
    expect(page.locator("h1")).to_contain_text("Type of work")
    type_into(page, "Type of work", "Readmission measures.")
    keys.press("Enter")
    keys.type("Testing with hospitals.")
    press_button(page, "Save and continue")

    # Screen 5: the services. Shift+Tab back from the justification to the checkbox.
    expect(page.locator("h1")).to_contain_text("Services required")
    type_into(page, "Confluence: business justification", "Team documentation.")
    type_into(page, "Confluence: estimated number of users", "6", backwards=True)
    tab_to(page, "Request Confluence", backwards=True)
    keys.press("Space")
    expect(page.get_by_label("Request Confluence")).to_be_checked()
    press_button(page, "Save and continue")

    # The review screen, then submission.
    expect(page.locator("h1")).to_contain_text(f"Review the intake form for {NAME}")
    expect(page.locator("main")).to_contain_text("Keystroke Analytics LLC")
    press_button(page, "Submit the intake form")
    expect(page.locator("h1")).to_contain_text(f"Onboarding request: {NAME}")
    expect(page.locator(".usa-alert--success")).to_contain_text("Intake form submitted")
    assert OnboardingRequest.objects.get(contract=contract).status == "submitted"
    contract.refresh_from_db()
    assert contract.organization.name == "Keystroke Analytics LLC"
    assert contract.services.get().service.slug == "confluence"
