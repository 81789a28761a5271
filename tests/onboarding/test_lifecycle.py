"""A request's life beyond the happy path, through HTTP as each role: the COR withdraws a
request before the team lead's approval, the team cancels one before the welcome package
and reopens it, and the team lead sends one back or rejects it, each with a reason. The
request keeps its history, stays findable, its timeline steps show "Cancelled" (never
disappear, never remind anyone), and everyone involved is emailed."""

import datetime

import pytest
from django.urls import reverse

from muster.audit.models import AuditEvent
from muster.closeout import sweep
from muster.contracts.models import ContractService
from muster.onboarding.models import OnboardingRequest, Status, StatusChange
from muster.timeline.models import ContractStep

from ..factories import signed_in
from . import test_review
from .test_review import MEETING_DUE, advance, delivered, post, reload, text_of, url

# The review tests' fixtures: a request with every intake answer, submitted by the COR.
today, draft, submitted = test_review.today, test_review.draft, test_review.submitted

pytestmark = pytest.mark.django_db
REASON = "The contract was re-scoped; the services are no longer needed."


def emails_to(mailoutbox, address) -> list:
    return [m for m in mailoutbox if address in m.to or address in m.cc]


def meeting_state(client, people, contract) -> str:
    page = signed_in(client, people["onboarding_team"]).get(contract.get_absolute_url())
    html = page.content.decode()
    step = contract.steps.get(key="eligibility-meeting")
    row = html[html.index(f'id="step-{step.pk}"'):]
    return row[:row.index("</tr>")]


def overdue_contracts(client, people) -> list[str]:
    """The names the contract list shows with its filter "Only contracts with an overdue
    step"."""
    response = signed_in(client, people["onboarding_team"]).get(
        reverse("contracts:list") + "?overdue=on")
    return [name for name in (people["mine"].name,)
            if f">{name}</a>" in response.content.decode()]


# --- The COR withdraws --------------------------------------------------------------------


def test_the_cor_withdraws_a_submitted_request_and_everyone_hears_why(
    client, people, submitted, mailoutbox
):
    contract = submitted.contract
    steps_before = contract.steps.count()

    response = post(signed_in(client, people["cor"]), "withdraw", submitted, reason=REASON)

    assert response.status_code == 302
    onboarding = reload(submitted)
    assert onboarding.status == Status.WITHDRAWN
    [change] = StatusChange.objects.filter(request=onboarding)
    assert (change.kind, change.from_status, change.reason) == ("withdrawn", "submitted", REASON)
    assert AuditEvent.objects.filter(action="onboarding.withdraw", contract=contract).exists()
    # Everyone involved: the contract's parties, and the onboarding team.
    sent = delivered(mailoutbox)
    for role in ("cor", "poc", "so", "spoc", "onboarding_team"):
        [email] = emails_to(sent, people[role].email)
        assert email.subject == f"Withdrawn by the COR: onboarding request for {contract.name}"
        assert REASON in email.body
    # The request keeps its page and history; it shows its own status.
    page = text_of(client.get(url("request", contract)))
    assert "Withdrawn by the COR" in page and REASON in page
    assert 'action="' + url("withdraw", contract) not in page
    # Its timeline steps are still there and say "Cancelled".
    assert contract.steps.count() == steps_before
    assert "Cancelled" in meeting_state(client, people, contract)


def test_the_cor_cannot_withdraw_once_the_team_lead_approved(client, people, submitted,
                                                             mailoutbox):
    onboarding = advance(people, submitted, Status.LEAD_APPROVED)
    page = text_of(signed_in(client, people["cor"]).get(url("request", onboarding.contract)))
    assert "Withdraw the request" not in page

    response = post(client, "withdraw", onboarding, reason=REASON)

    assert response.status_code == 302
    assert reload(onboarding).status == Status.LEAD_APPROVED
    assert "cannot be withdrawn" in text_of(client.get(response.url))
    assert not StatusChange.objects.exists()


def test_only_the_cor_withdraws(client, people, submitted):
    for role in ("poc", "onboarding_team", "team_lead"):
        response = post(signed_in(client, people[role]), "withdraw", submitted, reason=REASON)
        assert response.status_code == 403, role
    assert reload(submitted).status == Status.SUBMITTED


# --- The team cancels and reopens -----------------------------------------------------------


def test_the_team_cancels_during_service_review_and_the_leads_stop_deciding(
    client, people, submitted, mailoutbox
):
    onboarding = advance(people, submitted, Status.SERVICE_REVIEW)
    delivered(mailoutbox)
    mailoutbox.clear()

    response = post(signed_in(client, people["onboarding_team"]), "cancel", onboarding,
                     reason=REASON)

    assert response.status_code == 302
    assert reload(onboarding).status == Status.CANCELLED
    sent = delivered(mailoutbox)
    for role in ("cor", "poc", "so", "spoc", "team_lead", "sas_lead"):
        assert emails_to(sent, people[role].email), role
    # The service lead no longer sees it, and a decision posted anyway is refused.
    item = onboarding.contract.services.get()
    lead = signed_in(client, people["sas_lead"])
    assert "Mine" not in text_of(lead.get(reverse("onboarding:decisions"))).split(
        "Your recent decisions")[0]
    lead.post(reverse("onboarding:decide", args=[item.pk]), {"decision": "approve"})
    assert ContractService.objects.get(pk=item.pk).status == ContractService.Status.REQUESTED


def test_a_cancelled_request_is_found_through_the_queue_filter(client, people, submitted):
    post(signed_in(client, people["onboarding_team"]), "cancel", submitted, reason=REASON)

    in_progress = text_of(client.get(reverse("onboarding:queue")))
    stopped = text_of(client.get(reverse("onboarding:queue") + "?show=stopped"))

    assert submitted.contract.name not in in_progress.split("Review queue", 2)[-1]
    assert "Cancelled by the onboarding team" in stopped
    assert f">{submitted.contract.name}</a>" in stopped
    # An unknown filter shows the default, never an error.
    assert client.get(reverse("onboarding:queue") + "?show=%00nonsense").status_code == 200


def test_cancelled_steps_remind_nobody_and_reopen_with_the_request(
    client, people, submitted, mailoutbox, freeze_today
):
    onboarding = advance(people, submitted, Status.REVIEWED)
    post(signed_in(client, people["onboarding_team"]), "cancel", onboarding, reason=REASON)
    cancelled = ContractStep.objects.filter(contract=onboarding.contract,
                                            cancelled_at__isnull=False)
    assert cancelled.filter(key="eligibility-meeting").exists()
    delivered(mailoutbox)
    mailoutbox.clear()

    # The day after the meeting was due: no escalation for a cancelled request's steps.
    day = MEETING_DUE + datetime.timedelta(days=1)
    freeze_today(day)
    sweep.run(day)
    assert not [m for m in mailoutbox if m.subject.startswith("Overdue:")]
    assert "Overdue" not in meeting_state(client, people, onboarding.contract)
    assert overdue_contracts(client, people) == []

    response = post(signed_in(client, people["onboarding_team"]), "reopen", reload(onboarding),
                    reason="The COR confirmed the contract needs the services after all.")

    assert response.status_code == 302
    onboarding = reload(onboarding)
    assert onboarding.status == Status.REVIEWED  # back where it was
    assert not cancelled.exists()
    assert "Overdue" in meeting_state(client, people, onboarding.contract)
    assert overdue_contracts(client, people) == [onboarding.contract.name]
    # Open again, its overdue step is escalated by the next sweep.
    freeze_today(day + datetime.timedelta(days=1))
    sweep.run(day + datetime.timedelta(days=1))
    assert [m for m in mailoutbox
            if m.subject.startswith("Overdue: Contract onboarding services meeting")]
    assert [c.kind for c in onboarding.status_changes.all()] == ["reopened", "cancelled"]
    sent = delivered(mailoutbox)
    reopened = [m for m in sent if m.subject.startswith("Reopened: onboarding request")]
    assert reopened and people["cor"].email in reopened[0].to
    page = text_of(client.get(url("request", onboarding.contract)))
    assert "Reopened by the onboarding team" in page and "Cancelled by the onboarding team" \
        in page


def test_the_team_cannot_cancel_after_the_welcome_package(client, people, submitted):
    OnboardingRequest.objects.filter(pk=submitted.pk).update(status=Status.COMPLETE)

    response = post(signed_in(client, people["onboarding_team"]), "cancel", reload(submitted),
                    reason=REASON)

    assert response.status_code == 302
    assert reload(submitted).status == Status.COMPLETE
    assert "cannot be cancelled" in text_of(client.get(response.url))


def test_a_reason_is_required_and_its_limit_is_said(client, people, submitted):
    team = signed_in(client, people["onboarding_team"])

    empty = post(team, "cancel", submitted, reason="   ")
    too_long = post(team, "cancel", submitted, reason="x" * 2001)

    assert empty.status_code == 400
    assert "Say why the request is cancelled." in text_of(empty)
    assert too_long.status_code == 400
    assert "Keep the reason to 2,000 characters or fewer (it has 2001)." in text_of(too_long)
    assert "x" * 2001 in too_long.content.decode(), "what the person typed is kept"
    assert reload(submitted).status == Status.SUBMITTED
    assert StatusChange._meta.get_field("reason").max_length == 2000


# --- The team lead sends back or rejects ---------------------------------------------------


def test_the_team_lead_sends_a_request_back_to_the_team(client, people, submitted,
                                                         mailoutbox):
    onboarding = advance(people, submitted, Status.REVIEWED)
    delivered(mailoutbox)
    mailoutbox.clear()
    lead = signed_in(client, people["team_lead"])
    assert "Send back or reject" in text_of(lead.get(url("request", onboarding.contract)))

    response = post(lead, "lead_return", onboarding, decision="send_back",
                    reason="The SO's HARP ID looks wrong; check it with the COR.")

    assert response.status_code == 302
    onboarding = reload(onboarding)
    assert onboarding.status == Status.SUBMITTED and onboarding.reviewed_at is None
    [email] = [m for m in delivered(mailoutbox) if m.subject.startswith("Sent back")]
    assert people["onboarding_team"].email in email.to
    assert {people["cor"].email, people["poc"].email} <= set(email.cc)
    assert "HARP ID looks wrong" in email.body
    # Back in the team's review: it can be reviewed again.
    team_page = text_of(signed_in(client, people["onboarding_team"]).get(
        url("request", onboarding.contract)))
    assert "Mark reviewed" in team_page and "HARP ID looks wrong" in team_page


def test_the_team_lead_rejects_a_request_for_good(client, people, submitted, mailoutbox):
    onboarding = advance(people, submitted, Status.REVIEWED)
    delivered(mailoutbox)
    mailoutbox.clear()

    response = post(signed_in(client, people["team_lead"]), "lead_return", onboarding,
                    decision="reject", reason="The contract is out of the program's scope.")

    assert response.status_code == 302
    onboarding = reload(onboarding)
    assert onboarding.status == Status.REJECTED
    [email] = [m for m in delivered(mailoutbox) if m.subject.startswith("Rejected")]
    assert set(email.to) == {people["cor"].email, people["poc"].email}
    assert "out of the program's scope" in email.body
    assert "Cancelled" in meeting_state(client, people, onboarding.contract)
    # Final: nobody can reopen, approve or cancel it.
    team = signed_in(client, people["onboarding_team"])
    page = text_of(team.get(url("request", onboarding.contract)))
    assert "Reopen the request" not in page and "Cancel the request" not in page
    assert "This decision is final" in page
    post(team, "reopen", onboarding, reason="Try again")
    post(signed_in(client, people["team_lead"]), "approve_as_lead", onboarding)
    assert reload(onboarding).status == Status.REJECTED


def test_sending_back_or_rejecting_needs_a_reason(client, people, submitted):
    onboarding = advance(people, submitted, Status.REVIEWED)

    response = post(signed_in(client, people["team_lead"]), "lead_return", onboarding,
                    decision="reject", reason="")

    assert response.status_code == 400
    assert "Give the reason for sending the request back or rejecting it." in text_of(response)
    assert reload(onboarding).status == Status.REVIEWED



def test_a_stopped_request_closes_its_intake_form(client, people, submitted):
    post(signed_in(client, people["onboarding_team"]), "cancel", submitted, reason=REASON)
    screen = reverse("onboarding:intake_screen", args=[submitted.contract.pk, "contract"])

    response = client.get(screen)

    assert response.status_code == 403
    assert "“Cancelled by the onboarding team”, so its intake form is closed unless the " \
        "team reopens it" in text_of(response)
    assert "Edit the intake form" not in text_of(client.get(url("request", submitted.contract)))


def test_a_cancelled_request_grants_no_access_to_the_services_it_had_approved(
    client, people, submitted
):
    # The leads approved SAS Viya, then the team cancelled before the welcome package: the
    # SO must not be able to grant access through a request that no longer stands.
    onboarding = advance(people, submitted, Status.SERVICE_REVIEW)
    signed_in(client, people["sas_lead"]).post(
        reverse("onboarding:decide", args=[onboarding.contract.services.get().pk]),
        {"decision": "approve"})
    assert ContractService.objects.get(contract=onboarding.contract).status == "approved"
    post(signed_in(client, people["onboarding_team"]), "cancel", reload(onboarding), reason=REASON)
    assert reload(onboarding).status == Status.CANCELLED

    response = signed_in(client, people["so"]).post(
        reverse("access:grant", args=[onboarding.contract.pk]),
        {"user": people["contractor_user"].pk,
         "service": onboarding.contract.services.get().service.pk, "origin": "member"})

    assert response.status_code == 400
    assert "onboarding request was cancelled" in text_of(response)
    assert not onboarding.contract.access_grants.exists()


def test_a_grant_requested_before_the_cancellation_cannot_be_confirmed(
    client, people, submitted
):
    onboarding = advance(people, submitted, Status.SERVICE_REVIEW)
    item = onboarding.contract.services.get()
    ContractService.objects.filter(pk=item.pk).update(status="approved")
    grant = onboarding.contract.access_grants.create(
        user=people["contractor_user"], service=item.service, status="requested",
        requested_by=people["so"])
    post(signed_in(client, people["onboarding_team"]), "cancel", reload(onboarding), reason=REASON)

    response = signed_in(client, people["onboarding_team"]).post(
        reverse("access:confirm_grant", args=[onboarding.contract.pk, grant.pk]), follow=True)

    assert "onboarding request was cancelled" in text_of(response)
    grant.refresh_from_db()
    assert grant.status == "requested"
