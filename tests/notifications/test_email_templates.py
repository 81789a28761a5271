"""Every email template renders a complete, readable message with absolute links."""

import datetime
import re
from pathlib import Path

import pytest
from django.utils import timezone

from muster.access.models import AccessGrant, AdditionalServiceRequest
from muster.audit import checkpoints
from muster.catalog.models import Service
from muster.closeout.models import Closeout, Scenario
from muster.contracts.models import DataUseAgreement
from muster.conversation.models import Entry
from muster.notifications import services as mail
from muster.onboarding.models import (
    EligibilityMeeting,
    OnboardingRequest,
    Question,
    StatusChange,
    SurveyResponse,
    WelcomePackage,
)
from muster.recertification.models import Campaign, Scope
from muster.reconciliation.findings import Finding
from muster.work.items import GrantKind
from tests.factories import OrganizationFactory

# Every app's email templates (notifications' and those apps keep beside their own code).
TEMPLATES = sorted(Path(mail.__file__).parents[1].glob("*/templates/emails/*.txt"))
BASE_URL = "https://muster.agency.example.gov"
NAMES = sorted(p.name.removesuffix(".txt") for p in TEMPLATES
               if not p.name.endswith("_subject.txt"))
# About the audit record as a whole, to the audit address, or a summary of every contract
# to the team: no one contract in them.
NOT_ABOUT_A_CONTRACT = {"audit_checkpoint", "audit_loss", "account_disabled_unused",
                        "reconciliation_new_findings"}


@pytest.fixture
def scene(people):
    """The contract `mine` as it is when each email goes out: awarded, its intake
    answered (organization named), its SAS Viya request decided."""
    contract = people["mine"]
    contract.organization = OrganizationFactory(name="Acme Analytics LLC")
    contract.award_date = datetime.date(2026, 11, 2)
    contract.requirements_summary = "Analytics workspace for claims data."
    contract.save()
    request = OnboardingRequest.objects.create(contract=contract, created_by=people["cor"])
    question = Question.objects.create(
        request=request, text="How many users need SAS Viya on day one?",
        asked_by=people["onboarding_team"], answer="Twelve analysts.",
        answered_by=people["cor"],
    )
    meeting = EligibilityMeeting.objects.create(
        request=request, held_on=datetime.date(2026, 12, 3), attendees="Cora COR",
        outcome=EligibilityMeeting.Outcome.ELIGIBLE, recorded_by=people["onboarding_team"],
    )
    item = contract.services.select_related("service").get()
    item.estimated_users, item.justification = 12, "Claims analysis."
    item.approve()
    item.save()
    survey = SurveyResponse.objects.create(contract=contract, satisfaction=4)
    package = WelcomePackage(
        contract=contract, version=2, kind=WelcomePackage.Kind.ADDENDUM,
        services=[{"name": "SAS Viya", "description": "Analytics.", "eua_job_code": "",
                   "requires_dua": True}],
    )
    team, cor = people["onboarding_team"], people["cor"]
    dua = DataUseAgreement(contract=contract, number="DUA-2026-0042",
                           effective_date=datetime.date(2026, 11, 1),
                           expiry_date=datetime.date(2027, 10, 31))
    grant = AccessGrant(contract=contract, user=people["contractor_user"], service=item.service,
                        status="active")
    req = AdditionalServiceRequest.objects.create(
        contract=contract, service=Service.objects.get(slug="confluence"),
        organization_name="ACME-ANALYTICS", justification="The team's wiki.", estimated_users=25,
        requested_by=people["poc"], status="approved", cor_decided_by=cor,
        cor_decided_at=timezone.now(), cor_note="Fine by me.", decided_by=people["confluence_lead"],
        decided_at=timezone.now(), decision_reason="No seats this quarter.")
    closeout = Closeout.objects.create(
        contract=contract, pop_end=datetime.date(2027, 11, 30), scenario=Scenario.NO_AWARD,
        chosen_by=cor, chosen_at=timezone.now())
    successor = people["other"]
    step = contract.steps.get(key="eligibility-meeting")
    stopped_req = AdditionalServiceRequest(
        pk=req.pk, contract=contract, service=req.service, status="cancelled",
        requested_by=people["poc"], stopped_by=team, stopped_at=timezone.now(),
        stopped_from="approved", stop_reason="The wiki moves to another contract.",
        reopened_by=team, reopened_at=timezone.now(), reopen_reason="It stays after all.")
    requested = AccessGrant(contract=contract, user=people["contractor_user"],
                            service=item.service, status="requested")
    campaign = Campaign(pk=7, name="Access review, winter", due_date=datetime.date(2026, 12, 7),
                        scope=Scope.ALL, opened_by=team)
    finding = Finding(
        kind="eua_incomplete", contract=contract, person=people["contractor_user"],
        service=item.service, grant=grant, since=datetime.date(2026, 11, 2),
        detail="Active access to SAS Viya, but the EUA background check is “Not started”.",
        url=f"/access/contracts/{contract.pk}/roster/{people['contractor_user'].pk}/",
        fix="Record the EUA check on the person's page")

    def change(kind, by, was="submitted", now="cancelled"):
        return StatusChange(request=request, kind=kind, from_status=was, to_status=now,
                            reason="The contract was re-scoped.", by=people[by],
                            at=timezone.now())

    head = checkpoints.Head(7, 120, 118, "a" * 64, timezone.now(), "b" * 64)
    loss = checkpoints.Finding("records missing after checkpoint 7",
                               "Records missing after checkpoint 7: it covers 118 records.")
    return {
        "contract": contract,
        "contexts": {
            "award_notice": {"actor": cor},
            "intake_submitted": {"actor": cor},
            "lead_approval_requested": {"actor": team},
            "lead_approved": {"actor": people["team_lead"]},
            "lead_sent_back": {"actor": people["team_lead"],
                               "change": change("sent_back", "team_lead", "reviewed",
                                                "submitted")},
            "lead_rejected": {"actor": people["team_lead"],
                              "change": change("rejected", "team_lead", "reviewed",
                                               "rejected")},
            "request_stopped": {"actor": cor, "change": change("withdrawn", "cor")},
            "request_reopened": {"actor": team, "change": change(
                "reopened", "onboarding_team", "cancelled", "submitted")},
            "question_asked": {"actor": team, "question": question},
            "not_eligible": {"actor": team, "meeting": meeting, "question": question},
            "question_answered": {"actor": cor, "question": question},
            "service_approval_requested": {"item": item, "meeting": meeting},
            "meeting_recorded": {"meeting": meeting, "sent": [item], "closed": []},
            "service_decided": {"actor": people["sas_lead"], "item": item},
            "request_complete": {"services": list(contract.services.select_related("service"))},
            "solicitation_notice": {"actor": cor},
            "survey_invitation": {"survey": survey},
            "survey_answered": {"survey": survey},
            "welcome_package": {"package": package},
            "access_changed": {"actor": people["so"], "grants": [grant], "change": "active"},
            "user_added": {"actor": people["so"], "count": 2, "grants": 3,
                           "filename": "users.csv", "more": 0,
                           "members": [{"full_name": "Cody User", "email": "cody@example.com"}]},
            "dua_lapsed": {"dua": dua, "cause": "expired", "grants": [grant]},
            "recertification_opened": {"campaign": campaign, "count": 3},
            "recertification_reminder": {"campaign": campaign, "left": 2, "days_left": 7},
            "recertification_paused": {"campaign": campaign, "grants": [grant]},
            "reconciliation_new_findings": {
                "day": datetime.date(2026, 11, 30), "findings": [finding], "more": 4,
                "total": 5, "by_kind": [(finding.label, 5)]},
            "work_assigned": {"kind": GrantKind(), "item": requested, "assignee": team,
                              "actor": people["team_lead"], "url": "/access/pending/",
                              "previous": None},
            "conversation_mention": {
                "entry": Entry(contract=contract, author=cor, body="Is the DUA signed yet?",
                               about_label="Onboarding request"),
                "actor": cor, "person": people["so"], "page": f"/contracts/{contract.pk}/",
                "attachments": ["signed-dua.pdf"]},
            "dua_expiring": {"dua": dua, "grants": [grant], "services": [grant.service],
                             "days_left": 7, "when": "in 7 days",
                             "pause_date": dua.expiry_date + datetime.timedelta(days=1)},
            "dua_renewed": {"actor": people["so"], "dua": dua, "grants": [grant],
                            "services": [item.service]},
            "service_request_cor": {"req": req, "actor": people["poc"]},
            "service_request_leads": {"req": req, "actor": cor},
            "service_request_declined": {"req": req, "actor": cor},
            "service_request_decided": {"req": req, "actor": people["confluence_lead"],
                                        "approved": True},
            "service_request_stopped": {"req": stopped_req, "actor": team},
            "service_request_reopened": {"req": stopped_req, "actor": team},
            "closeout_notice": {"closeout": closeout},
            "closeout_scenario": {"closeout": closeout, "label": "Ends with no new award"},
            "access_removed": {"closeout": closeout, "grants": [grant]},
            "access_carried_over": {"closeout": closeout, "grants": [grant],
                                    "successor": successor},
            "access_carried_in": {"closeout": closeout, "grants": [grant], "paused": [grant],
                                  "waiting": [grant],
                                  "predecessor": successor},
            "successor_named": {"predecessor": successor, "person": people["so"],
                                "role_label": "Security Official (SO)", "dua_needed": True,
                                "moves_on": datetime.date(2027, 11, 30),
                                "services": list(contract.services.select_related("service"))},
            "reaward_undone": {"actor": team, "reason": "The contract is not re-awarded.",
                               "withdrawn": successor, "number": "75FCMC27C0099"},
            "step_reminder": {"step": step},
            "step_overdue": {"step": step},
            "audit_checkpoint": {"head": head, "token": head.token, "accepted_loss": []},
            "audit_loss": {"findings": [loss]},
            "invitation": {"user": people["so"], "sent_by": people["cor"],
                           "reason": "the Security Official (SO) of Mine (75FCMC26C0001)",
                           "link": f"{BASE_URL}/accounts/invitation/a-token/",
                           "expires_at": datetime.datetime(2026, 12, 1, 12, tzinfo=datetime.UTC),
                           "resent": False},
            "account_disabled_unused": {"person": people["so"], "days": 90, "last_login": None},
        },
    }


def test_every_template_has_a_subject_and_a_test_context(scene):
    subjects = sorted(p.name.removesuffix("_subject.txt") for p in TEMPLATES
                      if p.name.endswith("_subject.txt"))
    assert subjects == NAMES
    assert sorted(scene["contexts"]) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_each_email_reads_well(name, scene, settings):
    settings.MUSTER_BASE_URL = BASE_URL + "/"
    contract = scene["contract"]
    context = {"site_url": BASE_URL, "contract": contract, "help_contacts": [],
               **scene["contexts"][name]}

    raw_subject = mail.render(f"emails/{name}_subject.txt", context).strip()
    assert raw_subject
    assert "\n" not in raw_subject
    assert len(raw_subject) < 250

    row = mail.queue(name, to=["someone@example.gov"], key=f"t:{name}", contract=contract,
                     context=scene["contexts"][name])
    body = row.body
    assert row.subject == raw_subject
    if name not in NOT_ABOUT_A_CONTRACT:
        assert contract.name in row.subject
        assert contract.name in body
    for text in (row.subject, body):
        assert "None" not in text
        # (Indented lines, as under each item of a list, are fine.)
        assert not any("  " in line.strip() for line in text.splitlines()), \
            "a blank where a value should be"
        assert " ." not in text and " ," not in text and "()" not in text
        assert " 's" not in text
        assert "&amp;" not in text and "&#x27;" not in text
    links = re.findall(r"\S*://\S*", body)
    assert links, "the email links to the page where the person acts"
    for link in links:
        assert link.startswith(BASE_URL + "/"), link
        assert "//" not in link.removeprefix("https://"), link
    assert not re.search(r"(^|\s)/(contracts|onboarding|notifications)/", body), \
        "a relative link"


def test_names_with_apostrophes_and_ampersands_read_as_typed(scene):
    contract = scene["contract"]
    contract.name = "O'Brien & Sons <Claims>"
    contract.save()

    row = mail.queue("award_notice", to=["someone@example.gov"], key="t:escape",
                     contract=contract, context=scene["contexts"]["award_notice"])

    assert row.subject.startswith("Contract awarded: O'Brien & Sons <Claims> (")
    assert "of O'Brien & Sons <Claims> (" in row.body


def test_help_contacts_are_in_the_footer(scene):
    from muster.catalog.models import HelpContact

    contact = HelpContact.objects.first()
    assert contact is not None, "the catalog ships help contacts"
    row = mail.queue("award_notice", to=["someone@example.gov"], key="t:help",
                     contract=scene["contract"], context=scene["contexts"]["award_notice"])

    assert f"Help: {contact.title}" in row.body


def test_optional_answers_left_blank_read_as_not_given(scene):
    contract = scene["contract"]
    contract.requirements_summary = ""
    contract.save()
    item = scene["contexts"]["service_approval_requested"]["item"]
    item.estimated_users, item.justification = None, ""

    notice = mail.queue("solicitation_notice", to=["someone@example.gov"], key="t:blank",
                        contract=contract, context=scene["contexts"]["solicitation_notice"])
    request = mail.queue("service_approval_requested", to=["lead@example.gov"], key="t:blank2",
                         contract=contract,
                         context=scene["contexts"]["service_approval_requested"])

    assert "High-level service requirements:\nNot given yet" in notice.body
    assert "Estimated users: not given" in request.body
    assert "Business justification: not given" in request.body
