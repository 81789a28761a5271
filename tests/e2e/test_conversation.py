"""The conversation in the browser: a team member writes an internal note and a comment
that mentions the COR on the contract's page; the COR, emailed, reads the comment and not
the note; axe-core finds nothing on either page."""

import re

import pytest
from playwright.sync_api import expect

from muster.accounts.models import ContractRole, TeamRole
from muster.notifications.models import OutboxEmail

from ..factories import UserFactory, give_role, make_contract, team_member
from .conftest import shoot

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

NOTE = "The COR's last two answers came late: call before the eligibility meeting."
COMMENT = "Could you confirm the number of SAS Viya users before Friday?"


def choose(scope, starts_with: str):
    """Pick a USWDS radio or checkbox by the start of its visible label (the input itself
    is hidden off-screen, as USWDS styles it)."""
    scope.locator("label").filter(has_text=re.compile(rf"^\s*{starts_with}")).click()


def test_the_team_writes_a_note_and_a_comment_and_the_cor_reads_only_the_comment(browsing):
    team = team_member(TeamRole.Role.ONBOARDING_TEAM, full_name="Tess Team")
    lead = team_member(TeamRole.Role.TEAM_LEAD, full_name="Lee Lead")
    cor = UserFactory(full_name="Cora COR")
    contract = make_contract(name="Readmissions Analytics")
    give_role(cor, contract, ContractRole.Role.COR)
    give_role(UserFactory(full_name="Pat POC"), contract, ContractRole.Role.POC)
    axe = browsing.axe

    page = browsing.sign_in(team)
    page.goto(browsing.url(contract.get_absolute_url()))
    thread = page.locator("#conversation")
    expect(thread.get_by_role("heading", name="Conversation", exact=True)).to_be_visible()

    thread.get_by_label("Your message").fill(NOTE)
    choose(thread, r"Internal note")
    choose(thread, r"Lee Lead")
    thread.get_by_role("button", name="Add to the conversation").click()
    expect(page.get_by_text("Internal note added. 1 person was emailed.")).to_be_visible()

    thread.get_by_label("Your message").fill(COMMENT)
    choose(thread, r"Comment shared")
    choose(thread, r"Cora COR")
    thread.get_by_role("button", name="Add to the conversation").click()
    expect(page.get_by_text("Comment added. 1 person was emailed.")).to_be_visible()
    entries = page.locator("#thread-entries > li")
    expect(entries).to_have_count(2)
    expect(entries.nth(0)).to_contain_text("Internal note")
    expect(entries.nth(0)).to_contain_text(NOTE)
    expect(entries.nth(1)).to_contain_text(COMMENT)
    expect(entries.nth(1)).not_to_contain_text("Internal note")
    axe.scan(page, "contract page with its thread, as the team")
    page.locator("#conversation-heading").evaluate("heading => heading.scrollIntoView()")
    shoot(page, "conversation", full_page=False)

    mentions = OutboxEmail.objects.filter(template="conversation_mention").order_by("id")
    assert [e.to for e in mentions] == [[lead.email], [cor.email]]

    page = browsing.sign_in(cor)
    page.goto(browsing.url(contract.get_absolute_url()))
    thread = page.locator("#conversation")
    expect(thread).to_contain_text(COMMENT)
    expect(thread).not_to_contain_text(NOTE)
    expect(thread).not_to_contain_text("Internal note")
    expect(thread.get_by_role("radio")).to_have_count(0)  # the COR writes comments only
    axe.scan(page, "contract page with its thread, as the COR")
    axe.assert_clean()
