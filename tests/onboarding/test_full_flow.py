"""The whole onboarding half of SPEC.md, walked through HTTP by each role in turn: from
the solicitation notice to the answered survey. Asserts the emails (to whom, about what),
the audit record and the timeline at the end."""


import pytest
from django.urls import reverse

from muster import clock
from muster.accounts.models import ContractRole, TeamRole, User
from muster.audit.models import AuditEvent
from muster.catalog.models import Service
from muster.contracts.models import Contract
from muster.notifications.delivery import deliver_due
from muster.onboarding.models import OnboardingRequest
from muster.onboarding.package import prepare_due

from ..factories import TODAY, pdf_upload, signed_in, team_member


class Walk:
    """One browser-like session per person, and the mail they receive."""

    def __init__(self, client_factory, mailoutbox):
        self.client_factory = client_factory
        self.mailoutbox = mailoutbox
        self.clients = {}

    def as_(self, user):
        if user.pk not in self.clients:
            client = self.client_factory()
            signed_in(client, user)
            self.clients[user.pk] = client
        return self.clients[user.pk]

    def post(self, user, url, data, expect=302):
        response = self.as_(user).post(url, data)
        assert response.status_code == expect, (url, response.status_code,
                                                response.content.decode()[:3000])
        return response

    def mail(self):
        """Deliver what the worker would, and return (recipients, subject) pairs sent."""
        before = len(self.mailoutbox)
        deliver_due()
        return [(set(m.to) | set(m.cc), m.subject) for m in self.mailoutbox[before:]]


def sent_to(mail, address, subject_part):
    return any(address in to and subject_part in subject for to, subject in mail)


@pytest.fixture
def walk(client_factory, mailoutbox, freeze_today):
    freeze_today(TODAY)
    return Walk(client_factory, mailoutbox)


@pytest.fixture
def client_factory():
    from django.test import Client

    return Client


@pytest.mark.django_db
def test_a_contract_goes_from_solicitation_to_its_answered_survey(walk):
    sas = Service.objects.get(slug="sas-viya")
    confluence = Service.objects.get(slug="confluence")
    team = team_member(TeamRole.Role.ONBOARDING_TEAM, email="team@agency.example")
    lead = team_member(TeamRole.Role.TEAM_LEAD, email="lead@agency.example")
    sas_lead = team_member(TeamRole.Role.SERVICE_LEAD, service=sas, email="sas@agency.example")
    wiki_lead = team_member(TeamRole.Role.SERVICE_LEAD, service=confluence,
                            email="wiki@agency.example")
    cor = team_member(TeamRole.Role.COR, email="cor@agency.example", full_name="Cass Cor")

    # 1. The COR notifies the team of the solicitation.
    walk.post(cor, reverse("onboarding:solicitation_new"), {
        "name": "Readmission Measures Support", "contract_number": "75fcmc27r0001",
        "estimated_award_date": "2026-12-14",
        "requirements_summary": "Analytics on readmissions: SAS Viya and Confluence.",
    })
    contract = Contract.objects.get(contract_number="75FCMC27R0001")
    assert contract.stage == "solicitation"
    assert sent_to(walk.mail(), team.email, "New solicitation")
    C = contract.pk

    # 2. The award, a week later.
    walk.post(cor, reverse("onboarding:award", args=[C]), {"award_date": "2026-11-24"})
    contract.refresh_from_db()
    assert contract.stage == "awarded"
    assert sent_to(walk.mail(), team.email, "Contract awarded")

    # 3. The intake: the COR starts it, names the people; the POC finishes it.
    intake = reverse("onboarding:intake", args=[C])
    assert walk.as_(cor).get(intake).status_code == 200

    def screen(slug):
        return reverse("onboarding:intake_screen", args=[C, slug])

    walk.post(cor, screen("contract"), {
        "name": "Readmission Measures Support", "contract_number": "75FCMC27C0001",
        "pop_start": "2026-12-01", "pop_end": "2027-11-30", "continue": "1",
    })
    walk.post(cor, screen("organization"), {
        "name": "Marigold Analytics LLC", "harp_name": "MARIGOLD ANALYTICS", "continue": "1",
    })
    people = {"poc": ("Pim Poc", "pim@marigold.example"), "so": ("Sol So", "sol@marigold.example"),
              "spoc": ("Spa Spoc", "spa@marigold.example")}
    parties = {"cor_phone": "202-555-0100"}
    for role, (name, email) in people.items():
        parties.update({f"{role}_name": name, f"{role}_email": email,
                        f"{role}_phone": "202-555-0111"})
    parties.update({"so_harp_id": "solso01", "so_eua_check": "initiated",
                    "spoc_harp_id": "spaspoc02", "spoc_eua_check": "in_progress",
                    "continue": "1"})
    walk.post(cor, screen("parties"), parties)
    poc = User.objects.get(email="pim@marigold.example")
    so = User.objects.get(email="sol@marigold.example")

    # The POC continues the same draft.
    walk.post(poc, screen("work"), {
        "type_of_work": "Measure development and testing for hospital readmissions.",
        "continue": "1",
    })
    walk.post(poc, screen("services"), {
        f"svc_{sas.pk}_selected": "on", f"svc_{sas.pk}_users": "8",
        f"svc_{sas.pk}_justification": "Analysis of claims data.",
        f"svc_{confluence.pk}_selected": "on", f"svc_{confluence.pk}_users": "12",
        f"svc_{confluence.pk}_justification": "Team documentation.", "continue": "1",
    })
    walk.post(poc, screen("dua"), {
        "number": "DUA-2026-0042", "effective_date": "2026-11-01",
        "expiry_date": "2027-12-31", "document": pdf_upload(), "continue": "1",
    })
    request = OnboardingRequest.objects.get(contract=contract)
    review = walk.as_(cor).get(reverse("onboarding:intake_review", args=[C]))
    assert "Marigold Analytics LLC" in review.content.decode()
    walk.post(cor, reverse("onboarding:intake_review", args=[C]), {"version": request.version})
    request.refresh_from_db()
    assert request.status == "submitted"
    mail = walk.mail()
    assert sent_to(mail, team.email, "Intake submitted")
    assert sent_to(mail, poc.email, "Intake submitted")

    # 4. Review: a question, its answer, then "complete and clear".
    req_url = reverse("onboarding:request", args=[C])
    walk.post(team, reverse("onboarding:ask_question", args=[C]), {
        "text": "Do all 8 SAS Viya users need access in the first month?",
        "version": request.version,
    })
    assert sent_to(walk.mail(), cor.email, "Question about the intake")
    assert "first month?" in walk.as_(poc).get(req_url).content.decode()
    request.refresh_from_db()
    walk.post(poc, reverse("onboarding:answer_question", args=[C]), {
        "answer": "Five in the first month, three later.", "version": request.version,
    })
    assert sent_to(walk.mail(), team.email, "Answered")
    request.refresh_from_db()
    walk.post(team, reverse("onboarding:mark_reviewed", args=[C]), {"version": request.version})
    assert sent_to(walk.mail(), lead.email, "Approval needed")

    # 5. The team lead approves; the team holds the eligibility meeting.
    request.refresh_from_db()
    walk.post(lead, reverse("onboarding:approve_as_lead", args=[C]),
              {"version": request.version})
    assert sent_to(walk.mail(), team.email, "Approved by the team lead")
    request.refresh_from_db()
    walk.post(team, reverse("onboarding:meeting", args=[C]), {
        "version": request.version, "held_on": "2026-11-24",
        "attendees": "Team\nCOR\nPOC", "outcome": "eligible", "notes": "All set.",
    })
    mail = walk.mail()
    assert sent_to(mail, sas_lead.email, "SAS Viya")
    assert sent_to(mail, wiki_lead.email, "Confluence")
    assert not sent_to(mail, sas_lead.email, "Confluence")

    # 6. Each service lead decides their service.
    items = {i.service_id: i for i in contract.services.all()}
    walk.post(sas_lead, reverse("onboarding:decide", args=[items[sas.pk].pk]),
              {"decision": "approve"})
    walk.post(wiki_lead, reverse("onboarding:decide", args=[items[confluence.pk].pk]),
              {"decision": "deny", "reason": "Use the team's existing wiki space."})
    request.refresh_from_db()
    assert request.status == "approved"
    assert sent_to(walk.mail(), cor.email, "Onboarding request complete")

    # 7. The welcome package goes to the SO with its PDF.
    walk.post(team, reverse("onboarding:send_package", args=[C]), {"kind": "initial"})
    prepare_due()  # the worker's turn
    before = len(walk.mailoutbox)
    deliver_due()
    package_mail = [m for m in walk.mailoutbox[before:] if "Welcome package" in m.subject][0]
    assert package_mail.to == [so.email]
    assert "spa@marigold.example" in package_mail.cc
    assert package_mail.attachments[0][2] == "application/pdf"
    assert "SAS Viya" in package_mail.body and "Confluence" not in package_mail.body
    contract.refresh_from_db()
    assert contract.stage == "active"

    # 8. A touch-point call, and the SO's survey answer.
    walk.post(team, reverse("onboarding:calls", args=[C]), {
        "held_on": "2026-11-24", "topics": ["security_deliverables", "hardware_software"],
        "outcome": "Templates shared; laptops ordered.", "notes": "",
    })
    walk.post(so, reverse("onboarding:survey", args=[C]), {
        "satisfaction": "4", "went_well": "Clear steps.", "to_improve": "Faster approvals.",
    })
    assert sent_to(walk.mail(), team.email, "Survey answered")

    # The timeline: every onboarding step is done, the offboarding ones are ahead.
    states = {s.key: s.state(clock.today()) for s in contract.steps.all()}
    onboarding_keys = [s.key for s in contract.steps.filter(process="onboarding")]
    assert all(states[k] == "done" for k in onboarding_keys), states
    assert states["remove-access"] == "not_yet_due"
    # The audit record holds every action, by the person who took it.
    actions = list(AuditEvent.objects.filter(contract=contract).values_list("action", "actor"))
    for action, actor in [
        ("onboarding.submit", cor.pk), ("onboarding.ask_question", team.pk),
        ("onboarding.answer_question", poc.pk), ("onboarding.mark_reviewed", team.pk),
        ("onboarding.approve_as_lead", lead.pk), ("onboarding.hold_meeting", team.pk),
        ("onboarding.service_decided", sas_lead.pk), ("onboarding.service_decided", wiki_lead.pk),
        ("onboarding.welcome_package_sent", team.pk), ("onboarding.call_recorded", team.pk),
        ("onboarding.survey_answered", so.pk), ("contract.dua_uploaded", poc.pk),
    ]:
        assert (action, actor) in actions, action
    assert ContractRole.objects.get(contract=contract, role="so").eua_check == "initiated"
    # The contract page shows it to the COR as it stands.
    page = walk.as_(cor).get(reverse("contracts:detail", args=[C])).content.decode()
    assert "Active" in page and "Complete" in page
