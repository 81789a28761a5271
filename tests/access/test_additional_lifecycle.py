"""An additional-service request withdrawn by the COR, cancelled by the onboarding team
before its addendum, and reopened, through HTTP as each role: it keeps its history, is
found under "Withdrawn or cancelled", and everyone involved is emailed."""

import html

import pytest
from django.urls import reverse

from muster.access.models import AdditionalServiceRequest
from muster.accounts.models import ContractRole
from muster.audit.models import AuditEvent
from muster.contracts.models import ContractService
from muster.notifications.delivery import deliver_due

from ..factories import signed_in
from . import test_additional
from .test_additional import cor_decides, detail_url, filed, lead_decides

pytestmark = pytest.mark.django_db
active = test_additional.active  # `mine` running, its welcome package sent
S = AdditionalServiceRequest.Status
REASON = "The contractor's wiki moves to another contract."


def act(client, person, name, req, reason=REASON, version=None):
    req.refresh_from_db()
    return signed_in(client, person).post(
        reverse(f"access:{name}_service_request", args=[req.pk]),
        {"reason": reason, "version": req.version if version is None else version})


def text(response) -> str:
    return " ".join(html.unescape(response.content.decode()).split())


def waiting_for_leads(client, people):
    req = filed(client, people)  # the POC asks for Confluence
    assert cor_decides(client, people, req).status_code == 302
    req.refresh_from_db()
    assert req.status == S.AWAITING_LEADS
    return req


def mail_to(mailoutbox, person) -> list:
    deliver_due()
    return [m for m in mailoutbox if person.email in m.to or person.email in m.cc]


def test_the_cor_withdraws_a_request_before_the_lead_decides(client, active, mailoutbox):
    people = active
    req = waiting_for_leads(client, people)
    deliver_due()
    mailoutbox.clear()

    response = act(client, people["cor"], "withdraw", req)

    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == S.COR_WITHDRAWN and req.stop_reason == REASON
    assert AuditEvent.objects.filter(action="access.service_request_withdraw").exists()
    for role in ("poc", "cor", "confluence_lead", "onboarding_team"):
        [email] = mail_to(mailoutbox, people[role])
        assert email.subject.startswith("Withdrawn by the COR: Confluence for Mine"), role
        assert REASON in email.body
    # The lead can no longer decide on it.
    lead_decides(client, people["confluence_lead"], req)
    req.refresh_from_db()
    assert req.status == S.COR_WITHDRAWN
    assert not people["mine"].services.filter(service=people["confluence"]).exists()
    # Still findable, in its own section, with its reason.
    listing = text(signed_in(client, people["onboarding_team"]).get(
        reverse("access:service_requests")))
    stopped = listing.split("Withdrawn or cancelled", 1)[1]
    assert "Confluence" in stopped and "Withdrawn by the COR" in stopped
    assert REASON in text(client.get(detail_url(req)))


def test_the_poc_cannot_withdraw_and_the_cor_cannot_once_decided(client, active):
    people = active
    req = waiting_for_leads(client, people)
    assert act(client, people["poc"], "withdraw", req).status_code == 403
    lead_decides(client, people["confluence_lead"], req)

    response = act(client, people["cor"], "withdraw", req)

    req.refresh_from_db()
    assert req.status == S.APPROVED
    assert "only while it waits for the service leads" in text(client.get(response.url))


def test_the_team_cancels_and_reopens_and_the_lead_decides_again(client, active, mailoutbox):
    people = active
    req = waiting_for_leads(client, people)

    assert act(client, people["onboarding_team"], "cancel", req).status_code == 302
    req.refresh_from_db()
    assert req.status == S.CANCELLED
    deliver_due()
    mailoutbox.clear()

    response = act(client, people["onboarding_team"], "reopen", req,
                   reason="The wiki stays with this contract after all.")

    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == S.AWAITING_LEADS and req.decided_at is None
    [email] = mail_to(mailoutbox, people["cor"])
    assert email.subject == "Reopened: Confluence for Mine"
    assert "stays with this contract" in email.body
    page = text(client.get(detail_url(req)))
    assert "Reopened" in page and REASON in page
    lead_decides(client, people["confluence_lead"], req)
    req.refresh_from_db()
    assert req.status == S.APPROVED


def test_an_approved_request_is_cancelled_until_its_addendum_is_sent(client, active):
    people = active
    mine = people["mine"]
    ContractRole.objects.filter(contract=mine, role=ContractRole.Role.SO).delete()
    req = waiting_for_leads(client, people)
    lead_decides(client, people["confluence_lead"], req)  # no SO: the addendum waits
    item = ContractService.objects.get(contract=mine, service=people["confluence"])
    assert item.status == ContractService.Status.APPROVED
    page = text(signed_in(client, people["onboarding_team"]).get(detail_url(req)))
    assert "Cancel the request" in page

    response = act(client, people["onboarding_team"], "cancel", req)

    assert response.status_code == 302
    req.refresh_from_db()
    item.refresh_from_db()
    assert req.status == S.CANCELLED
    assert item.status != ContractService.Status.APPROVED
    assert "Approved by" in text(client.get(detail_url(req)))


def test_an_approved_request_with_its_addendum_sent_cannot_be_cancelled(client, active):
    people = active
    req = waiting_for_leads(client, people)
    lead_decides(client, people["confluence_lead"], req)  # the SO gets the addendum
    team = signed_in(client, people["onboarding_team"])
    assert "Cancel the request" not in text(team.get(detail_url(req)))

    response = act(client, people["onboarding_team"], "cancel", req)

    req.refresh_from_db()
    assert req.status == S.APPROVED
    assert "only before the welcome-package addendum is sent" in text(client.get(response.url))


def test_a_reason_is_required_and_at_most_2000_characters(client, active):
    people = active
    req = waiting_for_leads(client, people)

    empty = act(client, people["onboarding_team"], "cancel", req, reason="")
    too_long = act(client, people["onboarding_team"], "cancel", req, reason="y" * 2001)

    assert empty.status_code == too_long.status_code == 400
    assert "Say why the request is cancelled." in text(empty)
    assert "Keep the reason to 2,000 characters or fewer (it has 2001)." in text(too_long)
    req.refresh_from_db()
    assert req.status == S.AWAITING_LEADS
