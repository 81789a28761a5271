"""The whole life of a contract in a real browser, from the COR's solicitation notice to
the contract closed with every access removed: each role signs in through the sign-in
form and does its part on the pages, and every page of the walk (forms showing errors
included) is scanned by axe-core for WCAG 2.2 A/AA violations. The main pages are saved
to docs/screenshots/.

The clock is frozen in this process; the live server runs in a thread of it, so the
pages see the same day. The daily sweep is called directly, as the worker would.
"""

import datetime
import re
import time

import pytest
from playwright.sync_api import expect

from muster.access.models import AccessGrant
from muster.accounts.models import TeamRole, User
from muster.catalog.models import Service
from muster.closeout import sweep
from muster.contracts.models import Contract
from muster.onboarding.package import prepare_due

from ..factories import PASSWORD, TODAY, pdf_bytes, team_member
from .conftest import open_header_menu, shoot

POP_START, POP_END = datetime.date(2026, 12, 1), datetime.date(2027, 11, 30)
NOTICE_DAY = POP_END - datetime.timedelta(days=60)
NAME = "Readmission Measures Support"

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def heading(page, text):
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("h1")).to_contain_text(text)


def success(page, text):
    expect(page.locator(".usa-alert--success").filter(has_text=text)).to_be_visible()


def choose(scope, label):
    """Pick a USWDS radio or checkbox by its visible label (the input itself is hidden
    off-screen, as USWDS styles it)."""
    scope.locator("label").filter(has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")).click()


def said_in_place(page, text):
    """A list's row or block replaced in place (htmx): its status message has the focus."""
    status = page.get_by_role("status").filter(has_text=text)
    expect(status).to_be_visible()
    expect(status).to_be_focused()


def submit_errors(page, count_text):
    """A form that came back with errors: the title says so, the summary has focus."""
    expect(page).to_have_title(re.compile(r"^Error: "))
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text(count_text)
    expect(summary).to_be_focused()



def package_sent_by_the_worker(page, seconds: float = 30) -> None:
    """The worker makes the package's PDF and emails it. Here the walk does it by hand, as
    no worker runs beside the live server; the scale-out proof runs real workers beside
    its instances, which may have sent it first (then there is nothing left to do)."""
    deadline = time.monotonic() + seconds
    prepare_due()
    page.reload()
    while "Not sent yet" in page.locator("main").inner_text():
        assert time.monotonic() < deadline, "the welcome package was still not sent"
        time.sleep(0.5)
        prepare_due()
        page.reload()


@pytest.fixture
def cast(freeze_today):
    freeze_today(TODAY)
    sas = Service.objects.get(slug="sas-viya")
    confluence = Service.objects.get(slug="confluence")
    return {
        "cor": team_member(
            TeamRole.Role.COR, email="cass.cor@agency.example", full_name="Cass Cor"
        ),
        "team": team_member(
            TeamRole.Role.ONBOARDING_TEAM, email="tess.team@agency.example", full_name="Tess Team"
        ),
        "lead": team_member(
            TeamRole.Role.TEAM_LEAD, email="lee.lead@agency.example", full_name="Lee Lead"
        ),
        "sas_lead": team_member(
            TeamRole.Role.SERVICE_LEAD,
            service=sas,
            email="sam.sas@agency.example",
            full_name="Sam Sas",
        ),
        "wiki_lead": team_member(
            TeamRole.Role.SERVICE_LEAD,
            service=confluence,
            email="wim.wiki@agency.example",
            full_name="Wim Wiki",
        ),
        "sas": sas,
        "confluence": confluence,
    }


def can_sign_in(email: str) -> User:
    """People the intake names get an account without a password; give them one, as the
    password-reset email would."""
    user = User.objects.get(email=email)
    user.set_password(PASSWORD)
    user.save()
    return user


def test_a_contract_from_solicitation_to_closed(browsing, axe, cast, freeze_today):
    go = browsing.url

    def visit(page, label, screenshot=None, full_page=True):
        """Every page of the walk is scanned; the main ones are saved for the README."""
        axe.scan(page, label)
        if screenshot:
            shoot(page, screenshot, full_page=full_page)

    # --- 1. The COR files the solicitation notice (a phone number in it is flagged) ---
    cor = browsing.new_page()
    cor.goto(go("/"))  # signed out: the sign-in page, and a wrong password first
    heading(cor, "Sign in to Muster")
    visit(cor, "sign-in")
    cor.get_by_label("Email address").fill(cast["cor"].email)
    cor.get_by_label("Password").fill("not-the-password")
    cor.get_by_role("button", name="Sign in").click()
    expect(cor.locator("#error-summary")).to_contain_text(
        "The email address or password is not right")
    expect(cor.locator("#error-summary")).to_be_focused()
    visit(cor, "sign-in with errors")
    cor.get_by_label("Password").fill(PASSWORD)
    cor.get_by_role("button", name="Sign in").click()
    heading(cor, "Welcome, Cass")
    visit(cor, "home (COR), no contract yet")
    cor.get_by_role("link", name="New solicitation").click()
    heading(cor, "Notify the team of a solicitation")
    visit(cor, "solicitation form")
    cor.get_by_label("Contract name").fill(NAME)
    cor.get_by_label("Solicitation or contract number").fill("75fcmc27r0001")
    cor.get_by_label("Estimated award date").fill("2026-12-14")
    cor.get_by_label("High-level service requirements").fill(
        "Analytics on readmissions: SAS Viya and Confluence. Questions: call 202-555-0143."
    )
    cor.get_by_role("button", name="File the solicitation notice").click()
    submit_errors(cor, "There is a problem")
    expect(cor.locator("#error-summary")).to_contain_text("phone")
    visit(cor, "solicitation form with errors")
    cor.get_by_label("High-level service requirements").fill(
        "Analytics on readmissions: SAS Viya and Confluence."
    )
    cor.get_by_role("button", name="File the solicitation notice").click()
    heading(cor, NAME)
    contract = Contract.objects.get(contract_number="75FCMC27R0001")
    assert contract.stage == "solicitation"
    C = contract.pk
    success(cor, f"Solicitation notice filed for {NAME}")
    visit(cor, "contract page (solicitation)")

    # --- 2. The award ---
    cor.goto(go(f"/onboarding/contracts/{C}/award/"))
    heading(cor, f"Record the award of {NAME}")
    visit(cor, "award form")
    cor.get_by_label("Award date").fill("2026-11-24")
    cor.get_by_role("button", name="Record the award").click()
    contract.refresh_from_db()
    assert contract.stage == "awarded"
    success(cor, f"Award recorded for {NAME}")

    # --- 3. The intake: the COR starts it and names the people, the POC finishes it ---
    heading(cor, f"Intake form for {NAME}")
    visit(cor, "intake overview")
    cor.get_by_role("link", name=re.compile(r"^Start: Contract and period")).click()
    heading(cor, "Contract and period of performance")
    visit(cor, "intake screen 1 (contract)", "intake-screen")
    expect(cor.get_by_label("Contract name")).to_have_value(NAME)
    cor.get_by_label(re.compile(r"^Contract number")).fill("75FCMC27C0001")
    cor.get_by_label("Period of performance start").fill(POP_START.isoformat())
    cor.get_by_label("Period of performance end").fill(POP_END.isoformat())
    cor.get_by_label("Period of performance end").press("Enter")  # submits: Save and continue
    heading(cor, "Organization")
    visit(cor, "intake screen 2 (organization)")
    cor.get_by_label(re.compile(r"^Organization name")).fill("Marigold Analytics LLC")
    cor.get_by_label("HARP organization name", exact=False).fill("MARIGOLD ANALYTICS")
    cor.keyboard.press("Enter")
    heading(cor, "People")
    visit(cor, "intake screen 3 (people)")
    people = {
        "POC": ("Pim Poc", "pim@marigold.example"),
        "SO": ("Sol So", "sol@marigold.example"),
        "SPOC": ("Spa Spoc", "spa@marigold.example"),
    }
    cor.get_by_label("COR: phone").fill("202-555-0100")
    for role, (name, email) in people.items():
        group = cor.locator("fieldset").filter(
            has=cor.locator("legend", has_text=re.compile(rf"\({role}\)"))
        )
        group.get_by_label("full name").fill(name)
        group.get_by_label("email").fill(email)
        group.get_by_label("phone").fill("202-555-0111")
        if role != "POC":
            group.get_by_label("HARP ID").fill(f"{name.split()[0].lower()}{role.lower()}01")
            group.get_by_label("EUA background check").select_option(label="Initiated")
    cor.get_by_role("button", name="Save and continue").click()
    heading(cor, "Type of work")
    # An empty screen comes back with its errors, the summary focused.
    cor.get_by_role("button", name="Save and continue").click()
    submit_errors(cor, "There is a problem")
    visit(cor, "intake screen 4 with errors", "intake-errors")

    # The POC continues the same draft.
    can_sign_in("pim@marigold.example")
    poc_user = User.objects.get(email="pim@marigold.example")
    poc = browsing.sign_in(poc_user)
    visit(poc, "home (POC)")
    poc.goto(go(f"/onboarding/contracts/{C}/intake/"))
    poc.get_by_role("link", name=re.compile(r"^Continue: Type of work")).click()
    heading(poc, "Type of work")
    poc.get_by_label("Type of work", exact=False).fill(
        "Measure development and testing for hospital readmissions."
    )
    poc.get_by_role("button", name="Save and continue").click()
    heading(poc, "Services required")
    visit(poc, "intake screen 5 (services)")
    for service, users, why in (
        (cast["sas"], "8", "Analysis of claims data."),
        (cast["confluence"], "12", "Team documentation."),
    ):
        box = poc.locator("fieldset").filter(has=poc.locator("legend", has_text=service.name))
        box.get_by_label(f"Request {service.name}").focus()
        poc.keyboard.press("Space")
        expect(box.get_by_label(f"Request {service.name}")).to_be_checked()
        box.get_by_label("estimated number of users").fill(users)
        box.get_by_label("business justification").fill(why)
    poc.get_by_role("button", name="Save and continue").click()
    heading(poc, "Data Use Agreement")
    visit(poc, "intake screen 6 (DUA)")
    poc.get_by_label("DUA number").fill("DUA-2026-0042")
    poc.get_by_label("Effective date").fill("2026-11-01")
    poc.get_by_label("Expiry date").fill("2027-12-31")
    poc.locator("input[type=file]").set_input_files(
        {"name": "signed-dua.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}
    )
    poc.get_by_role("button", name="Save and continue").click()
    heading(poc, f"Review the intake form for {NAME}")
    visit(poc, "intake review")
    expect(poc.locator("main")).to_contain_text("Marigold Analytics LLC")

    # The COR submits it.
    cor.goto(go(f"/onboarding/contracts/{C}/intake/review/"))
    cor.get_by_role("button", name="Submit the intake form").click()
    heading(cor, f"Onboarding request: {NAME}")
    success(cor, "Intake form submitted")
    expect(cor.locator("#request-status")).to_have_text("Waiting for review")
    visit(cor, "onboarding request (COR)")
    cor.get_by_role("link", name="Home", exact=True).click()
    heading(cor, "Welcome, Cass")
    expect(cor.locator("main")).to_contain_text(NAME)
    visit(cor, "home (COR)", "home-cor")

    # --- 4. Review: the team asks, the COR answers, the team marks it reviewed ---
    team = browsing.sign_in(cast["team"])
    heading(team, "My work")  # the team's home (issue 14): the submitted request waits there
    expect(team.locator("main")).to_contain_text(NAME)
    visit(team, "home (team)", "home-team")
    team.get_by_role("link", name="Contracts", exact=True).click()
    heading(team, "Contracts")
    expect(team.locator("main")).to_contain_text(NAME)
    visit(team, "contract list", "contract-list")
    open_header_menu(team, "Requests")
    team.get_by_role("link", name="Review queue").click()
    heading(team, "Review queue")
    visit(team, "review queue", "review-queue")
    team.get_by_role("link", name=NAME).first.click()
    heading(team, f"Onboarding request: {NAME}")
    visit(team, "onboarding request (submitted)", "request")
    team.get_by_label("Question for the COR and POC").fill(
        "Do all 8 SAS Viya users need access in the first month?"
    )
    team.get_by_role("button", name="Ask the question").click()
    success(team, "Question sent to the COR and the contractor's POC")
    visit(team, "request after question")

    cor.goto(go(f"/onboarding/contracts/{C}/request/"))
    expect(cor.locator("main")).to_contain_text("first month?")
    visit(cor, "request with open question (COR)")
    cor.get_by_label("Your answer").fill("Five in the first month, three later.")
    cor.get_by_role("button", name="Send the answer").click()
    success(cor, "Answer sent")

    team.reload()
    team.get_by_role("button", name="Mark reviewed and ask the team lead to approve").click()
    success(team, "Marked reviewed. The team lead has been asked to approve it.")

    # --- 5. The team lead approves; the team records the eligibility meeting ---
    lead = browsing.sign_in(cast["lead"])
    lead.goto(go(f"/onboarding/contracts/{C}/request/"))
    visit(lead, "request waiting for the team lead")
    lead.get_by_role("button", name="Approve the onboarding request").click()
    success(lead, "Approved. The onboarding team holds the eligibility meeting next.")

    team.reload()
    visit(team, "request with the meeting form")
    meeting = team.locator("form", has=team.get_by_label("Meeting date"))
    meeting.get_by_label("Meeting date").fill(TODAY.isoformat())
    meeting.get_by_label("Attendees").fill("Tess Team\nCass Cor\nPim Poc")
    choose(meeting, "Eligible for the requested services")
    team.get_by_role("button", name="Record the meeting").click()
    success(team, "Meeting recorded. Each service's leads have been asked to decide.")
    expect(team.locator("#request-status")).to_have_text("Waiting for service leads")

    # --- 6. Each service lead decides their service ---
    sas_lead = browsing.sign_in(cast["sas_lead"])
    open_header_menu(sas_lead, "Requests")
    sas_lead.get_by_role("link", name="Service decisions").click()
    heading(sas_lead, "Service decisions")
    visit(sas_lead, "service decisions (SAS Viya lead)", "service-decisions")
    form = sas_lead.locator("form").filter(has_text="SAS Viya")
    choose(form, "Approve")
    form.get_by_role("button", name=f"Record the decision on SAS Viya for {NAME}").click()
    said_in_place(sas_lead, f"SAS Viya approved for {NAME}")
    visit(sas_lead, "service decisions after a decision")

    wiki_lead = browsing.sign_in(cast["wiki_lead"])
    wiki_lead.goto(go("/onboarding/decisions/"))
    form = wiki_lead.locator("form").filter(has_text="Confluence")
    choose(form, "Deny")
    form.get_by_role("button", name=re.compile("^Record the decision on Confluence")).click()
    said_in_place(wiki_lead, "The decision was not recorded")  # a denial needs its reason
    expect(form.locator(".usa-error-message").first).to_be_visible()
    visit(wiki_lead, "service decision with errors")
    form = wiki_lead.locator("form").filter(has_text="Confluence")
    choose(form, "Deny")
    form.get_by_label("Reason").fill("Use the team's existing wiki space.")
    form.get_by_role("button", name=re.compile("^Record the decision on Confluence")).click()
    said_in_place(wiki_lead, f"Confluence denied for {NAME}")

    # --- 7. The team sends the welcome package to the SO ---
    team.goto(go(f"/onboarding/contracts/{C}/request/"))
    expect(team.locator("#request-status")).to_have_text(
        "Services decided: welcome package to send"
    )
    team.goto(go(f"/onboarding/contracts/{C}/welcome/"))
    heading(team, "Welcome package")
    visit(team, "welcome package (to send)")
    team.get_by_role("button", name="Send the welcome package").click()
    success(team, "Welcome package version 1 is being prepared: Muster makes its PDF and "
            "emails it to sol@marigold.example")
    expect(team.locator("main")).to_contain_text("Not sent yet: preparing the PDF")
    visit(team, "after sending the welcome package")
    # The worker's turn (not in the request): the PDF, the email.
    package_sent_by_the_worker(team)
    expect(team.get_by_role("link", name="Download PDF of version 1")).to_be_visible()
    team.goto(go(f"/onboarding/contracts/{C}/welcome/v1/"))
    expect(team.locator("main")).to_contain_text("SAS Viya")
    visit(team, "welcome package v1", "welcome-package")
    contract.refresh_from_db()
    assert contract.stage == "active"

    # --- 8. The SO adds a user and grants them SAS Viya; the team confirms it ---
    so = browsing.sign_in(can_sign_in("sol@marigold.example"))
    visit(so, "home (SO)")
    so.goto(go(f"/access/contracts/{C}/roster/"))
    heading(so, f"Roster of {NAME}")
    visit(so, "roster (empty)")
    add = so.locator("form").filter(has=so.get_by_role("button", name="Add to the roster"))
    add.get_by_label("Full name").fill("Cody Coder")
    add.get_by_label("Email address").fill("cody@marigold.example")
    add.get_by_label("HARP ID").fill("codycoder01")
    add.get_by_role("button", name="Add to the roster").click()
    success(so, "Cody Coder is on the roster")
    heading(so, f"Roster of {NAME}")
    visit(so, "roster with a new user")
    so.get_by_label("Grant Cody Coder access to").select_option(str(cast["sas"].pk))
    so.get_by_role("button", name="Grant access").click()
    success(so, "Requested Cody Coder's access to")
    visit(so, "roster with a requested grant")

    open_header_menu(team, "Requests")
    team.get_by_role("link", name="Access to confirm").click()
    heading(team, "Access waiting for confirmation")
    visit(team, "access to confirm")
    team.get_by_role("button", name="Confirm Cody Coder's SAS Viya access").click()
    said_in_place(team, "Cody Coder's access to SAS Viya is active.")
    team.goto(go(f"/access/contracts/{C}/roster/"))
    expect(team.locator("#main-content")).to_contain_text("Active")
    visit(team, "roster (team)", "roster")
    team.goto(go(f"/access/contracts/{C}/dua/"))
    heading(team, "Data Use Agreement")
    expect(team.locator("main")).to_contain_text("DUA-2026-0042")
    visit(team, "DUA page", "dua")
    team.goto(go(f"/contracts/{C}/"))
    heading(team, NAME)
    visit(team, "contract page (active)", "contract", full_page=False)
    grant = AccessGrant.objects.get(contract=contract)
    assert grant.status == "active"

    # --- 9. 60 days before the end of performance, the sweep sends the closeout notice ---
    freeze_today(NOTICE_DAY)
    sweep.run(NOTICE_DAY)
    contract.refresh_from_db()
    assert contract.stage == "closing"
    cor.goto(go(f"/closeout/contracts/{C}/closeout/"))
    heading(cor, f"Closeout of {NAME}")
    expect(cor.locator("main")).to_contain_text("Waiting for the COR's scenario")
    visit(cor, "closeout (notice sent)", "closeout")
    cor.get_by_role("link", name=re.compile(r"^Choose scenario 3")).click()
    heading(cor, "Scenario 3: Contract ends without a new version of the contract")
    visit(cor, "scenario 3 form")
    cor.get_by_role("button", name="Save scenario 3").click()
    submit_errors(cor, "There are 2 problems")
    visit(cor, "scenario 3 form with errors", "scenario-errors")
    cor.get_by_label(re.compile("^CMS data the contractor worked on")).fill(
        "Readmission analysis datasets in the SAS Viya project workspace."
    )
    cor.get_by_label("All CMS data the contractor worked on will be archived").focus()
    cor.keyboard.press("Space")
    cor.get_by_role("button", name="Save scenario 3").click()
    heading(cor, f"Closeout of {NAME}")
    success(cor, "Scenario chosen: Ends with no new award.")
    expect(cor.locator("main")).to_contain_text("Scenario chosen")
    visit(cor, "closeout (scenario chosen)")

    # --- 10. On the last day of performance the sweep revokes access and closes ---
    freeze_today(POP_END)
    sweep.run(POP_END)
    contract.refresh_from_db()
    grant.refresh_from_db()
    assert (contract.stage, grant.status) == ("closed", "revoked")
    team.goto(go(f"/closeout/contracts/{C}/closeout/"))
    expect(team.locator("main")).to_contain_text("Every grant revoked")
    visit(team, "closeout (access removed)")
    team.get_by_label("Note (optional)").fill("SAS Viya: ticket RITM0012345.")
    team.get_by_role("button", name="Confirm the removal of access").click()
    success(team, "The removal of access is confirmed")
    expect(team.locator("main")).to_contain_text("Removal confirmed")
    visit(team, "closeout (removal confirmed)", "closeout-done")
    team.goto(go(f"/contracts/{C}/"))
    expect(team.locator("main")).to_contain_text("Closed")
    visit(team, "contract page (closed)")

    assert len(axe.scanned) >= 45
    axe.assert_clean()
