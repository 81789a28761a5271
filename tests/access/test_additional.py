"""Additional services for an existing contract, through HTTP as each role: the POC (or
the COR) asks; the request waits for the COR's approval before the onboarding team and the
service leads see it; a lead of the service decides; approval adds the service to the
contract and sends the SO a welcome-package addendum."""

import datetime
import re

import pytest
from django.urls import reverse

from muster import clock
from muster.access.models import AdditionalServiceRequest
from muster.accounts.models import ContractRole, TeamRole
from muster.audit.models import AuditEvent
from muster.catalog.models import Service
from muster.contracts import services as contract_services
from muster.contracts.models import Contract, ContractService, Stage
from muster.notifications.delivery import MAX_ATTEMPTS, deliver_due
from muster.notifications.models import OutboxEmail
from muster.onboarding import package as package_service
from muster.onboarding.models import OnboardingRequest, Status, WelcomePackage
from muster.onboarding.package import prepare_due, send_welcome_package
from tests.pages import html_of

from ..factories import OrganizationFactory, signed_in, team_member

pytestmark = pytest.mark.django_db
Req = AdditionalServiceRequest
S = Req.Status
JUSTIFICATION = "Our analysts document the claims pipeline in the agency's wiki."


@pytest.fixture
def active(people, freeze_today):
    """`mine` running: organization named, SAS Viya approved, stage active, welcome package
    v1 sent to its SO (the SPOC copied). Confluence is not on it (its lead leads `other`)."""
    freeze_today()
    mine = people["mine"]
    mine.organization = OrganizationFactory(name="Acme Analytics LLC", harp_name="ACME-ANALYTICS")
    mine.save()
    mine.services.update(status=ContractService.Status.APPROVED, estimated_users=12)
    for transition in (Contract.award, Contract.start_onboarding, Contract.activate):
        mine = contract_services.change_stage(None, mine, transition)
    OnboardingRequest.objects.create(contract=mine, status=Status.COMPLETE,
                                     created_by=people["cor"])
    send_welcome_package(people["onboarding_team"], mine)
    OutboxEmail.objects.all().delete()  # only this test's emails from here on
    people["mine"] = mine
    people["confluence"] = Service.objects.get(slug="confluence")
    return people


def new_url(contract) -> str:
    return reverse("access:request_service", args=[contract.pk])


def detail_url(req) -> str:
    return reverse("access:service_request", args=[req.pk])


def ask(client, person, contract, service, **extra):
    data = {"organization_name": "ACME-ANALYTICS", "service": service.pk,
            "justification": JUSTIFICATION, "estimated_users": 25, **extra}
    return signed_in(client, person).post(new_url(contract), data)


def filed(client, people, person_key="poc") -> Req:
    response = ask(client, people[person_key], people["mine"], people["confluence"])
    assert response.status_code == 302, response.content.decode()[:2000]
    req = Req.objects.order_by("-pk").first()
    assert response.url == detail_url(req)
    return req


def cor_decides(client, people, req, decision="approve", note="", version=None):
    return signed_in(client, people["cor"]).post(
        reverse("access:cor_decision", args=[req.pk]),
        {"decision": decision, "note": note,
         "version": req.version if version is None else version})


def lead_decides(client, lead, req, decision="approve", reason="", version=None):
    req.refresh_from_db()
    return signed_in(client, lead).post(
        reverse("access:lead_decision", args=[req.pk]),
        {"decision": decision, "reason": reason,
         "version": req.version if version is None else version})


def emails_to(mailoutbox, address) -> list:
    return [m for m in mailoutbox if address in m.to]


def actions(contract) -> list[str]:
    return list(AuditEvent.objects.filter(contract=contract).order_by("id")
                .values_list("action", flat=True))


# --- The whole path ---------------------------------------------------------------------


def test_poc_request_cor_approval_lead_approval_and_addendum(client, active, mailoutbox):
    people, mine, confluence = active, active["mine"], active["confluence"]

    # The POC opens the form: the HARP organization name is filled in; only services the
    # contract does not have are offered.
    form = html_of(signed_in(client, people["poc"]).get(new_url(mine)))
    assert 'value="ACME-ANALYTICS"' in form
    assert "Confluence" in form
    assert "SAS Viya" not in form
    req = filed(client, people)
    assert req.status == S.AWAITING_COR
    assert req.requested_by == people["poc"]
    shown = html_of(client.get(detail_url(req)))
    assert "Waiting for the COR" in shown
    assert "Pat POC" in shown

    # The COR is emailed, with the link to decide.
    deliver_due()
    to_cor, = emails_to(mailoutbox, people["cor"].email)
    assert to_cor.subject == "Your approval needed: Confluence for Mine"
    assert detail_url(req) in to_cor.body
    assert JUSTIFICATION in to_cor.body
    mailoutbox.clear()

    # The COR sees the request first in their list, and approves it.
    listing = html_of(signed_in(client, people["cor"]).get(reverse("access:service_requests")))
    waiting = listing.split('id="waiting-heading"')[1].split('id="open-heading"')[0]
    assert detail_url(req) in waiting
    assert "Approve or decline as the contract" in html_of(client.get(detail_url(req)))
    response = cor_decides(client, people, req)
    assert response.status_code == 302 and response.url == detail_url(req)
    req.refresh_from_db()
    assert req.status == S.AWAITING_LEADS
    assert req.cor_decided_by == people["cor"]
    assert req.cor_decided_at == datetime.datetime(2026, 11, 24, 12, tzinfo=datetime.UTC)
    history = html_of(client.get(detail_url(req)))
    cor_line = re.search(r'id="history-cor">([^<]*)<', history).group(1)
    assert cor_line.startswith("Approved by Cora COR, November 24, 2026")

    # The Confluence lead is emailed (the team copied), and decides.
    deliver_due()
    to_lead, = emails_to(mailoutbox, people["confluence_lead"].email)
    assert to_lead.subject == "Decision needed: Confluence for Mine (additional service)"
    assert people["onboarding_team"].email in to_lead.cc
    assert detail_url(req) in to_lead.body
    mailoutbox.clear()
    lead_page = html_of(signed_in(client, people["confluence_lead"]).get(detail_url(req)))
    assert "Decide on Confluence" in lead_page
    response = lead_decides(client, people["confluence_lead"], req)
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == S.APPROVED
    assert req.decided_by == people["confluence_lead"]

    # Confluence joins the contract's approved services.
    item = mine.services.get(service=confluence)
    assert item.status == ContractService.Status.APPROVED
    assert item.estimated_users == 25
    assert item.justification == JUSTIFICATION
    assert item.decided_by == people["confluence_lead"]

    # The SO receives the addendum (version 2), the SPOC copied, with the tagged PDF.
    package = WelcomePackage.objects.get(contract=mine, version=2)
    assert package.kind == WelcomePackage.Kind.ADDENDUM
    assert {s["name"] for s in package.services} == {"SAS Viya", "Confluence"}
    done = html_of(client.get(detail_url(req)))
    assert "and added to the contract" in done
    assert "the welcome-package addendum is being prepared" in done
    assert "Being prepared: the addendum goes to the SO in a moment" in done
    # The worker's turn: the lead's approval did not wait for the PDF.
    assert package.state == WelcomePackage.State.PREPARING
    assert prepare_due()["sent"] == 1
    done = html_of(client.get(detail_url(req)))
    assert "Addendum (additional service) version 2 sent" in done
    deliver_due()
    addendum, = [m for m in mailoutbox if m.subject == "Welcome package: Mine (addendum)"]
    assert addendum.to == [people["so"].email]
    assert addendum.cc == [people["spoc"].email]
    assert "Confluence (EUA job code CONFL_User)" in addendum.body
    (name, content, mimetype), = addendum.attachments
    assert name == "welcome-package-v2.pdf" and mimetype == "application/pdf"
    assert content.startswith(b"%PDF")
    decided, = [m for m in mailoutbox if m.subject == "Approved: Confluence for Mine"]
    assert sorted(decided.to) == sorted([people["poc"].email, people["cor"].email])

    # Every step is on the audit record, in order.
    trail = [a for a in actions(mine) if a.startswith(("access.", "contracts.service"))]
    assert trail == ["access.service_requested", "access.service_request_cor_approved",
                     "access.service_request_approved", "contracts.service_added"]
    assert actions(mine)[-1] == "onboarding.welcome_package_sent"
    assert AuditEvent.objects.filter(action="access.service_request_cor_approved",
                                     actor=people["cor"]).exists()


# --- Waiting for the COR ----------------------------------------------------------------


def test_team_and_leads_see_nothing_until_the_cor_approves(client, active):
    people = active
    req = filed(client, people)
    for key in ("onboarding_team", "team_lead", "administrator", "confluence_lead",
                "sas_lead"):
        signed_in(client, people[key])
        assert client.get(detail_url(req)).status_code == 404, key
        listing = html_of(client.get(reverse("access:service_requests")))
        assert detail_url(req) not in listing, key
    # Deciding early is no way in either.
    response = lead_decides(client, people["confluence_lead"], req)
    assert response.status_code == 404
    assert Req.objects.get().status == S.AWAITING_COR

    # The contract's own parties see it meanwhile.
    for key in ("poc", "so", "spoc", "cor"):
        assert html_of(signed_in(client, people[key]).get(detail_url(req))), key

    cor_decides(client, people, req)
    for key in ("onboarding_team", "team_lead", "confluence_lead"):
        signed_in(client, people[key])
        assert "Confluence" in html_of(client.get(detail_url(req))), key
        assert detail_url(req) in html_of(client.get(reverse("access:service_requests"))), key


def test_people_without_the_contract_never_see_it(client, active):
    people = active
    req = filed(client, people)
    cor_decides(client, people, req)
    slack_lead = team_member(TeamRole.Role.SERVICE_LEAD, service=Service.objects.get(
        slug="slack"))
    for person in (people["outsider"], people["other_cor"], people["contractor_user"],
                   slack_lead):
        signed_in(client, person)
        assert client.get(detail_url(req)).status_code == 404, person
        assert detail_url(req) not in html_of(client.get(reverse("access:service_requests")))
        assert client.get(new_url(people["mine"])).status_code == 404, person


def test_a_cor_filed_request_skips_the_wait(client, active, mailoutbox):
    people = active
    req = filed(client, people, "cor")
    assert req.status == S.AWAITING_LEADS
    assert req.cor_decided_by == people["cor"]
    assert req.cor_decided_at == req.requested_at
    deliver_due()
    assert not [m for m in mailoutbox if m.subject.startswith("Your approval needed")]
    to_lead, = emails_to(mailoutbox, people["confluence_lead"].email)
    assert "Cora COR" in to_lead.body
    shown = html_of(signed_in(client, people["onboarding_team"]).get(detail_url(req)))
    assert "Waiting for the service leads" in shown
    assert "Decide on Confluence" not in shown  # the team does not decide for the lead
    assert actions(people["mine"])[-2:] == ["access.service_requested",
                                            "access.service_request_cor_approved"]


def test_the_cor_declines_with_a_note(client, active, mailoutbox):
    people = active
    req = filed(client, people, "so")
    response = cor_decides(client, people, req, decision="decline")
    assert response.status_code == 400
    body = response.content.decode()
    assert "<title>Error: " in body
    assert "There is a problem" in body and "Say why you decline the request." in body
    assert Req.objects.get().status == S.AWAITING_COR

    response = cor_decides(client, people, req, decision="decline",
                           note="Confluence is covered by the prime contract.")
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == S.WITHDRAWN
    assert req.cor_note == "Confluence is covered by the prime contract."
    assert "Declined by Cora COR" in html_of(client.get(detail_url(req)))
    deliver_due()
    told, = emails_to(mailoutbox, people["so"].email)
    assert told.subject == "Declined by the COR: Confluence for Mine"
    assert "covered by the prime contract" in told.body
    assert not emails_to(mailoutbox, people["confluence_lead"].email)
    assert "access.service_request_cor_declined" in actions(people["mine"])
    # Declined requests never reach the team.
    assert client.get(detail_url(req)).status_code == 200
    signed_in(client, people["onboarding_team"])
    assert client.get(detail_url(req)).status_code == 404


def test_only_the_cor_decides_for_the_cor(client, active):
    people = active
    req = filed(client, people)
    for key in ("poc", "so"):
        response = signed_in(client, people[key]).post(
            reverse("access:cor_decision", args=[req.pk]),
            {"decision": "approve", "note": "", "version": req.version})
        assert response.status_code == 403, key
        assert "Approve or decline" not in html_of(client.get(detail_url(req)))
    assert Req.objects.get().status == S.AWAITING_COR


def test_a_stale_decision_saves_nothing(client, active):
    people = active
    req = filed(client, people)
    response = cor_decides(client, people, req, version=req.version + 5)
    assert response.status_code == 302
    assert "Someone else changed this request" in html_of(client.get(response.url))
    assert Req.objects.get().status == S.AWAITING_COR
    # Deciding twice: the second one is refused with a message.
    cor_decides(client, people, req)
    response = cor_decides(client, people, req, version=req.version + 1)
    assert "the COR&#x27;s decision was already recorded" in html_of(client.get(response.url))


# --- The service leads -------------------------------------------------------------------


def test_a_lead_of_another_service_cannot_decide(client, active):
    people = active
    req = filed(client, people)
    cor_decides(client, people, req)
    # The SAS Viya lead sees the contract (and so the request) but does not lead Confluence.
    shown = html_of(signed_in(client, people["sas_lead"]).get(detail_url(req)))
    assert "Decide on Confluence" not in shown
    response = lead_decides(client, people["sas_lead"], req)
    assert response.status_code == 403
    # Nor does the onboarding team.
    response = lead_decides(client, people["onboarding_team"], req)
    assert response.status_code == 403
    assert Req.objects.get().status == S.AWAITING_LEADS
    assert not people["mine"].services.filter(service=people["confluence"]).exists()


def test_a_denial_needs_a_reason(client, active, mailoutbox):
    people = active
    req = filed(client, people)
    cor_decides(client, people, req)
    lead = people["confluence_lead"]
    response = lead_decides(client, lead, req, decision="deny")
    assert response.status_code == 400
    body = response.content.decode()
    assert "Give the reason for the denial." in body and "<title>Error: " in body
    assert Req.objects.get().status == S.AWAITING_LEADS

    mailoutbox.clear()
    response = lead_decides(client, lead, req, decision="deny",
                            reason="Confluence seats are frozen this quarter.")
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == S.DENIED
    assert "Reason: Confluence seats are frozen" in html_of(client.get(detail_url(req)))
    assert not people["mine"].services.filter(service=people["confluence"]).exists()
    assert not WelcomePackage.objects.filter(version=2).exists()
    deliver_due()
    denied, = [m for m in mailoutbox if m.subject == "Denied: Confluence for Mine"]
    assert sorted(denied.to) == sorted([people["poc"].email, people["cor"].email])
    assert "seats are frozen" in denied.body
    assert "access.service_request_denied" in actions(people["mine"])
    # A denied service can be asked for again.
    response = ask(client, people["poc"], people["mine"], people["confluence"])
    assert response.status_code == 302


def test_without_an_so_the_team_sends_the_addendum_later(client, active, mailoutbox):
    people, mine = active, active["mine"]
    req = filed(client, people, "cor")
    ContractRole.objects.filter(contract=mine, role=ContractRole.Role.SO).delete()
    lead_decides(client, people["confluence_lead"], req)
    req.refresh_from_db()
    assert req.status == S.APPROVED
    assert not WelcomePackage.objects.filter(contract=mine, version=2).exists()
    # The team sees the pending addendum; the lead and the COR do not get the button.
    for key in ("confluence_lead", "cor"):
        assert "Send the addendum" not in html_of(signed_in(client, people[key]).get(
            detail_url(req)))
    response = client.post(detail_url(req), {"version": req.version})
    assert response.status_code == 403
    team = signed_in(client, people["onboarding_team"])
    assert "Send the addendum" in html_of(team.get(detail_url(req)))
    response = team.post(detail_url(req), {"version": req.version})
    assert "Name the SO first" in html_of(client.get(response.url))

    ContractRole.objects.create(contract=mine, user=people["so"], role=ContractRole.Role.SO)
    response = team.post(detail_url(req), {"version": req.version})
    assert "addendum is being prepared" in html_of(client.get(response.url))
    assert WelcomePackage.objects.get(contract=mine, version=2).kind == "addendum"
    assert "Send the addendum" not in html_of(client.get(detail_url(req)))  # none twice
    prepare_due()  # the worker's turn
    deliver_due()
    assert [m for m in mailoutbox if m.subject == "Welcome package: Mine (addendum)"]


def test_an_addendum_muster_gave_up_on_says_so_not_being_prepared(
    client, active, monkeypatch, time_machine
):
    """The worker gave up on the addendum's PDF: the request page says it was not sent and
    that the team can try again (with a link for those who may see the packages), never
    that it goes out in a moment."""
    people, mine = active, active["mine"]
    req = filed(client, people, "cor")
    lead_decides(client, people["confluence_lead"], req)
    monkeypatch.setattr(package_service, "render_pdf", _cannot_load_font)
    for _ in range(MAX_ATTEMPTS):
        prepare_due()
        time_machine.move_to(clock.now() + datetime.timedelta(hours=7), tick=False)
    addendum = WelcomePackage.objects.get(contract=mine, version=2)
    assert addendum.state == WelcomePackage.State.FAILED

    packages = reverse("onboarding:packages", args=[mine.pk])
    for key, sees_link in (("cor", True), ("confluence_lead", False), ("onboarding_team", True)):
        page = html_of(signed_in(client, people[key]).get(detail_url(req)))
        line = re.search(r'id="history-addendum">(.*?)</p>', page, re.S).group(1)
        assert "Being prepared" not in line and "in a moment" not in line
        assert "Not sent: the PDF of the addendum could not be made" in line
        assert "The onboarding team can try again" in line
        assert (packages in line) is sees_link, key
        assert "Cancel the request" not in page  # the addendum can still be sent


def _cannot_load_font(html):
    raise OSError("cannot load font")


# --- Refusals ---------------------------------------------------------------------------


def test_a_duplicate_request_is_refused(client, active):
    people = active
    filed(client, people)
    response = ask(client, people["spoc"], people["mine"], people["confluence"])
    assert response.status_code == 400
    body = response.content.decode()
    assert "<title>Error: " in body and "There is a problem" in body
    assert "already on the contract, already requested" in body
    assert "the claims pipeline in the agency" in body  # what the person typed is kept
    assert Req.objects.count() == 1
    # An approved service on the contract cannot be asked for again either.
    response = ask(client, people["poc"], people["mine"], Service.objects.get(slug="sas-viya"))
    assert response.status_code == 400
    assert Req.objects.count() == 1
    # The form offers neither.
    form = html_of(client.get(new_url(people["mine"])))
    assert ">Confluence<" not in form and ">SAS Viya<" not in form


def test_bad_input_is_shown_not_saved(client, active):
    people = active
    response = ask(client, people["poc"], people["mine"], people["confluence"],
                   justification="  ", estimated_users="0")
    assert response.status_code == 400
    body = response.content.decode()
    assert "There are 2 problems" in body
    assert "Give the business justification." in body
    assert 'aria-describedby' in body
    assert not Req.objects.exists()


def test_a_closed_contract_cannot_ask(client, active):
    people, mine = active, active["mine"]
    contract_services.change_stage(None, mine, Contract.close)
    form = html_of(signed_in(client, people["cor"]).get(new_url(mine)))
    assert "cannot ask for an additional service" in form
    assert "Send the request" not in form
    response = ask(client, people["cor"], mine, people["confluence"])
    assert response.status_code == 400
    assert "A contract in stage “Closed” cannot ask" in response.content.decode()
    assert not Req.objects.exists()


def test_a_solicitation_cannot_ask(client, active):
    people, other = active, active["other"]
    assert other.stage == Stage.SOLICITATION
    response = ask(client, people["other_cor"], other, Service.objects.get(slug="slack"))
    assert response.status_code == 400
    assert "Solicitation" in response.content.decode()
    assert not Req.objects.exists()


def test_pages_need_post_for_decisions(client, active):
    people = active
    req = filed(client, people)
    signed_in(client, people["cor"])
    assert client.get(reverse("access:cor_decision", args=[req.pk])).status_code == 405


def test_every_email_reads_well(client, active):
    """Each of this flow's emails: a subject on one line, the contract named, no blanks
    where a value belongs, an absolute link to the request."""
    people = active
    req = filed(client, people)
    cor_decides(client, people, req, note="Fine by me & the CO's office.")
    lead_decides(client, people["confluence_lead"], req)
    mine = people["mine"]
    mine.services.filter(service=people["confluence"]).update(
        status=ContractService.Status.DENIED)
    req = filed(client, people)
    cor_decides(client, people, req, decision="decline", note="Not needed.")
    req = filed(client, people, "cor")
    lead_decides(client, people["confluence_lead"], req, decision="deny", reason="No seats.")
    rows = OutboxEmail.objects.filter(template__startswith="service_request_")
    assert sorted(set(rows.values_list("template", flat=True))) == [
        "service_request_cor", "service_request_decided", "service_request_declined",
        "service_request_leads"]
    for row in rows:
        for text in (row.subject, row.body):
            assert "None" not in text, row.template
            assert "  " not in text and " ." not in text and "()" not in text, row.template
            assert "&amp;" not in text and "&#x27;" not in text, row.template
        assert "Mine" in row.subject and "\n" not in row.subject
        assert re.search(r"https?://\S+/access/service-requests/\d+/", row.body), row.template
    leads = rows.filter(template="service_request_leads").order_by("pk").first()
    assert "Fine by me & the CO's office." in leads.body
