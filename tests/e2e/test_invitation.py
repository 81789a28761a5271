"""An invitation in a real browser (issue 12's proof): the team sends the welcome package
to a newly named SO, who has no password; the SO opens the invitation's link (read from
the outbox, as the worker would send it), is refused a weak password, sets a good one and
is signed in, then adds a user to the roster; that user is invited in turn. Every page of
the walk is scanned by axe-core for WCAG 2.2 A/AA violations."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from muster.accounts.models import ContractRole, User
from muster.contracts import services as contracts
from muster.identity import invitations
from muster.notifications.models import OutboxEmail
from muster.onboarding.package import prepare_due

from ..factories import PASSWORD, TODAY, approved_for_onboarding
from .conftest import shoot

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
LINK = re.compile(r"https?://\S+?(/accounts/invitation/[A-Za-z0-9_\-]{20,}/)")
STRONG = "a-long-walk-by-the-river-42"


def heading(page, text):
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("h1")).to_contain_text(text)


def sign_in(browsing, user):
    """Through the sign-in form (its email field's label is "Email" or "Email address")."""
    page = browsing.new_page()
    page.goto(browsing.url("/accounts/login/"))
    page.get_by_role("textbox", name=re.compile(r"^Email")).fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text(f"Signed in as {user.full_name}", exact=True)).to_be_visible()
    return page


def invitation_path(email: str) -> str:
    """The link in the person's invitation, read from the outbox row before the worker
    sends it (the row forgets the body once sent)."""
    row = OutboxEmail.objects.get(template="invitation", to=[email])
    assert row.confidential
    match = LINK.search(row.body)
    assert match, row.body
    return match.group(1)


@pytest.fixture
def newly_named_so(people, freeze_today):
    """`mine` ready for its welcome package, with a new SO named on it (as the intake form
    names one: the real naming call, which invites her)."""
    freeze_today(TODAY)
    mine = people["mine"]
    approved_for_onboarding(mine, people["cor"])
    ContractRole.objects.filter(contract=mine, role=ContractRole.Role.SO).delete()
    nadia = User(email="nadia@contractor.example", full_name="Nadia Newso", harp_id="NADIA01")
    nadia.set_unusable_password()
    nadia.save()
    contracts.assign_role(people["cor"], mine, nadia, ContractRole.Role.SO)
    invitations.person_named(people["cor"], nadia, contract=mine,
                             as_what=invitations.as_role(ContractRole.Role.SO))
    return nadia


def test_a_newly_named_so_gets_in_by_the_invitation_and_invites_a_user(
    browsing, axe, people, newly_named_so
):
    go = browsing.url
    mine = people["mine"]

    # The team sends the welcome package; its contract page shows the SO as invited.
    team = sign_in(browsing, people["onboarding_team"])
    team.goto(go(f"/onboarding/contracts/{mine.pk}/welcome/"))
    team.get_by_role("button", name="Send the welcome package").click()
    expect(team.locator(".usa-alert--success")).to_contain_text(
        "Welcome package version 1 is being prepared: Muster makes its PDF and emails it to "
        "nadia@contractor.example")
    assert prepare_due()["sent"] == 1  # the worker's turn
    team.goto(go(f"/contracts/{mine.pk}/"))
    parties = team.locator("section", has=team.get_by_role("heading", name="Parties"))
    expect(parties.get_by_role("row", name=re.compile("Nadia Newso"))).to_contain_text("Invited")
    axe.scan(team, "contract page: the parties' accounts (team)")

    # The SO opens the link: a weak password is refused, the page says why.
    so = browsing.new_page()
    link = invitation_path("nadia@contractor.example")
    so.goto(go(link))
    heading(so, "Get in to Muster")
    expect(so.locator("main")).to_contain_text("named you in Muster as the Security Official")
    axe.scan(so, "invitation")
    shoot(so, "invitation")
    so.get_by_label(re.compile(r"^Password\b")).fill("password1234")
    so.get_by_label("The same password again").fill("password1234")
    so.get_by_role("button", name="Set my password and sign in").click()
    expect(so).to_have_title(re.compile(r"^Error: "))
    expect(so.locator("#error-summary")).to_contain_text("This password is too common")
    expect(so.locator("#error-summary")).to_be_focused()
    axe.scan(so, "invitation with errors")

    # A good one signs her in.
    so.get_by_label(re.compile(r"^Password\b")).fill(STRONG)
    so.get_by_label("The same password again").fill(STRONG)
    so.get_by_role("button", name="Set my password and sign in").click()
    expect(so.get_by_text("Signed in as Nadia Newso", exact=True)).to_be_visible()
    expect(so.locator(".usa-alert--success").first).to_be_visible()

    # She adds a user to the roster: he is invited in turn.
    so.goto(go(f"/access/contracts/{mine.pk}/roster/"))
    add = so.locator("form").filter(has=so.get_by_role("button", name="Add to the roster"))
    add.get_by_label("Full name").fill("Cody Coder")
    add.get_by_label("Email address").fill("cody@contractor.example")
    add.get_by_label("HARP ID").fill("codycoder01")
    add.get_by_role("button", name="Add to the roster").click()
    expect(so.locator(".usa-alert--success")).to_contain_text("Cody Coder is on the roster")
    row = so.locator("#member-" + str(User.objects.get(email="cody@contractor.example").pk))
    expect(row).to_contain_text("Invited")
    expect(row.get_by_role("button", name="Send Cody Coder a new invitation")).to_be_visible()
    axe.scan(so, "roster with an invited user")
    assert invitation_path("cody@contractor.example") != link

    # The used link now asks for a new one; asking answers the same for any address.
    other = browsing.new_page()
    other.goto(go(link))
    heading(other, "This invitation link no longer works")
    axe.scan(other, "invitation link no longer works")
    other.get_by_label("Your email address").fill("someone@example.com")
    other.get_by_role("button", name="Send me a new link").click()
    heading(other, "Check your email")
    axe.scan(other, "new invitation link asked")
    axe.assert_clean()
    assert urlsplit(other.url).path == "/accounts/invitation/new/"
