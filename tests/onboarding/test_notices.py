"""The solicitation and award notices, through HTTP as the people who file them."""

import datetime
import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from muster.accounts.models import ContractRole, TeamRole
from muster.audit.models import AuditEvent
from muster.contracts.models import Contract, Stage
from muster.notifications.delivery import deliver_due
from muster.onboarding.models import OnboardingRequest

from ..factories import TODAY, signed_in, team_member

pytestmark = pytest.mark.django_db
D = datetime.date
NEW = reverse("onboarding:solicitation_new")


@pytest.fixture(autouse=True)
def today(freeze_today):
    return freeze_today(TODAY)


# --- Page checks shared with test_intake ---------------------------------------------


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.h1 = 0
        self.inputs: list[str] = []
        self.labels: set[str] = set()
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "h1":
            self.h1 += 1
        if tag == "title":
            self._in_title = True
        if tag == "label" and attrs.get("for"):
            self.labels.add(attrs["for"])
        if tag in ("input", "select", "textarea") and attrs.get("type") not in (
            "hidden", "submit", "button"
        ):
            self.inputs.append(attrs.get("id") or f"<{tag} name={attrs.get('name')} no id>")

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def check_page(response) -> _Page:
    """One <h1>, every input labelled (a <label for> matching its id); returns the page."""
    page = _Page()
    page.feed(response.content.decode())
    assert page.h1 == 1, f"{page.h1} <h1> elements"
    unlabelled = [i for i in page.inputs if i not in page.labels]
    assert not unlabelled, f"inputs without a label: {unlabelled}"
    return page


def text_of(response) -> str:
    """The page's text without tags or repeated whitespace (entities left as Django wrote)."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- Solicitation notice ----------------------------------------------------------------


@pytest.fixture
def cor(client, people):
    """A COR who may file solicitation notices (the COR team role); the team exists."""
    user = team_member(TeamRole.Role.COR, full_name="Nora Notifier")
    signed_in(client, user)
    return user


def solicitation(**changes):
    data = {
        "name": "Quality Reporting Support",
        "contract_number": "75fcmc27r0100",
        "estimated_award_date": "2027-02-01",
        "requirements_summary": "SAS Viya for analytics and Confluence for documentation.",
    }
    data.update(changes)
    return data


def test_the_solicitation_page_warns_that_only_public_information_belongs(client, cor):
    response = client.get(NEW)
    assert response.status_code == 200
    check_page(response)
    html = response.content.decode()
    warning = re.search(r'<div class="usa-alert usa-alert--warning".*?</div>\s*</div>', html,
                        re.DOTALL)
    assert warning and "Public, non-sensitive information only" in warning.group()
    assert html.index("usa-alert--warning") < html.index('<form method="post" class="usa-form')
    # The confirm box appears only once something was flagged.
    assert 'name="confirm_no_pii"' not in html


def test_a_cor_files_a_solicitation_notice(client, cor, people, mailoutbox):
    response = client.post(NEW, solicitation())
    contract = Contract.objects.get(contract_number="75FCMC27R0100")
    assert response.status_code == 302
    assert response["Location"] == reverse("contracts:detail", args=[contract.pk])
    page = client.get(response["Location"])
    assert "Solicitation notice filed for Quality Reporting Support" in text_of(page)
    assert contract.stage == Stage.SOLICITATION
    assert contract.estimated_award_date == D(2027, 2, 1)
    assert contract.roles.get(role=ContractRole.Role.COR).user == cor
    done = set(contract.steps.filter(completed_at__isnull=False).values_list("key", flat=True))
    assert done == {"notify-solicitation", "identify-requirements"}
    assert AuditEvent.objects.filter(contract=contract, action="contract.created").exists()
    deliver_due()
    [email] = mailoutbox
    assert email.to == [people["onboarding_team"].email]
    assert email.cc == [cor.email]
    assert "Quality Reporting Support" in email.subject


PII = [
    ("a Social Security number", "Contact the COR, SSN 123-45-6789, for access."),
    ("a Social Security number", "Badge number 123456789 goes here."),
    ("a phone number", "Questions: call (202) 555-0143 any day."),
    ("a phone number", "Questions: call 202.555.0143."),
    ("an email address", "Write to jane.doe@agency.example.gov for details."),
]


@pytest.mark.parametrize(("what", "text"), PII)
def test_text_that_looks_like_personal_data_is_flagged_before_saving(client, cor, what, text):
    response = client.post(NEW, solicitation(requirements_summary=text))
    assert response.status_code == 400
    page = check_page(response)
    assert page.title.startswith("Error: ")
    body = text_of(response)
    assert "There is a problem" in body
    assert f"This looks like it contains {what}" in body
    html = response.content.decode()
    assert text.split()[-2] in html  # what they typed is still in the textarea
    assert 'name="confirm_no_pii"' in html
    assert not Contract.objects.filter(contract_number="75FCMC27R0100").exists()


def test_personal_data_in_the_contract_name_is_flagged_too(client, cor):
    response = client.post(NEW, solicitation(name="Support for jane@example.com"))
    assert response.status_code == 400
    assert "This looks like it contains an email address" in text_of(response)
    assert 'value="Support for jane@example.com"' in response.content.decode()


def test_the_confirm_box_saves_flagged_text_that_is_not_personal_data(client, cor):
    text = "Contractors call the public help desk, 1-800-555-0100, for QualityNet questions."
    response = client.post(NEW, solicitation(requirements_summary=text, confirm_no_pii="on"))
    assert response.status_code == 302
    assert Contract.objects.get(contract_number="75FCMC27R0100").requirements_summary == text


def test_an_estimated_award_date_in_the_past_is_refused(client, cor):
    response = client.post(NEW, solicitation(estimated_award_date="2026-11-23"))
    assert response.status_code == 400
    assert "The estimated award date cannot be in the past." in text_of(response)
    assert 'value="Quality Reporting Support"' in response.content.decode()


def test_a_contract_number_already_in_muster_is_refused(client, cor, people):
    taken = people["other"].contract_number.lower()
    response = client.post(NEW, solicitation(contract_number=taken))
    assert response.status_code == 400
    assert "A contract with this number is already in Muster." in text_of(response)
    assert Contract.objects.filter(contract_number__iexact=taken).count() == 1


def test_every_required_field_is_asked_for(client, cor):
    response = client.post(NEW, {})
    assert response.status_code == 400
    check_page(response)
    body = text_of(response)
    assert "There are 4 problems" in body
    for label in ("Contract name", "Solicitation or contract number", "Estimated award date",
                  "High-level service requirements"):
        assert f"{label}: This field is required." in body


@pytest.mark.parametrize("who", ["cor", "poc", "so", "team_lead", "sas_lead", "outsider"])
def test_people_without_the_cor_team_role_cannot_file_a_notice(client, people, who):
    # `mine`'s COR holds the COR role on that contract only, not the COR team role.
    signed_in(client, people[who])
    before = Contract.objects.count()
    assert client.get(NEW).status_code == 403
    response = client.post(NEW, solicitation())
    assert response.status_code == 403
    assert "Only a COR or the onboarding team can notify a solicitation" in text_of(response)
    assert Contract.objects.count() == before


def test_the_onboarding_team_can_file_a_notice(client, people):
    signed_in(client, people["onboarding_team"])
    assert client.post(NEW, solicitation()).status_code == 302


def test_signed_out_people_are_sent_to_sign_in(client, db):
    response = client.get(NEW)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# --- Award notice --------------------------------------------------------------------------


def award_url(contract):
    return reverse("onboarding:award", args=[contract.pk])


def test_the_award_page_says_the_so_and_spoc_are_due_within_a_day(client, people):
    signed_in(client, people["cor"])
    response = client.get(award_url(people["mine"]))
    assert response.status_code == 200
    check_page(response)
    assert "The contractor must name its SO and SPOC within 1 day" in text_of(response)


def test_the_cor_records_the_award(client, people, mailoutbox):
    mine = people["mine"]
    signed_in(client, people["cor"])
    response = client.post(award_url(mine), {"award_date": "2026-11-23"})
    assert response.status_code == 302
    assert response["Location"] == reverse("onboarding:intake", args=[mine.pk])
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert ("Award recorded for Mine. The contractor must name its Security Official (SO) and "
            "Security Point of Contact (SPOC) by Tuesday, November 24, 2026") in text_of(page)
    mine.refresh_from_db()
    assert mine.stage == Stage.AWARDED
    assert mine.award_date == D(2026, 11, 23)
    assert OnboardingRequest.objects.get(contract=mine).status == "draft"
    steps = {s.key: s for s in mine.steps.all()}
    assert steps["notify-award"].completed_at is not None
    assert steps["name-so-spoc"].due_date == D(2026, 11, 24)
    assert steps["name-so-spoc"].completed_at is None
    assert AuditEvent.objects.filter(contract=mine, action="contract.award").exists()
    deliver_due()
    [email] = mailoutbox
    assert email.to == [people["onboarding_team"].email]
    assert email.cc == [people["cor"].email]


def test_an_award_date_ahead_is_refused(client, people):
    signed_in(client, people["cor"])
    response = client.post(award_url(people["mine"]), {"award_date": "2026-11-25"})
    assert response.status_code == 400
    page = check_page(response)
    assert page.title.startswith("Error: ")
    assert "Record the award once it has happened" in text_of(response)
    assert 'value="2026-11-25"' in response.content.decode()
    people["mine"].refresh_from_db()
    assert people["mine"].stage == Stage.SOLICITATION


def test_an_award_cannot_be_recorded_twice(client, people):
    signed_in(client, people["cor"])
    client.post(award_url(people["mine"]), {"award_date": "2026-11-23"})
    response = client.post(award_url(people["mine"]), {"award_date": "2026-11-20"})
    assert response.status_code == 400
    assert "The award was already recorded for this contract." in text_of(response)
    people["mine"].refresh_from_db()
    assert people["mine"].award_date == D(2026, 11, 23)


@pytest.mark.parametrize(("who", "status"), [
    ("poc", 403), ("so", 403), ("onboarding_team", 403), ("other_cor", 404), ("outsider", 404),
])
def test_only_the_contracts_cor_records_the_award(client, people, who, status):
    signed_in(client, people[who])
    assert client.get(award_url(people["mine"])).status_code == status
    assert client.post(award_url(people["mine"]), {"award_date": "2026-11-23"}).status_code \
        == status
    people["mine"].refresh_from_db()
    assert people["mine"].stage == Stage.SOLICITATION
