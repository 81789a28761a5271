"""The demo's dates tell a true story: a request waiting for days says so, nothing is done
before it could have been, and each contract's history reads in order."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from muster.accounts.models import User
from muster.audit.models import AuditEvent
from muster.contracts.models import Contract
from muster.onboarding.models import OnboardingRequest

from .factories import TODAY, signed_in
from .test_demo import fast_passwords, loaded, today  # noqa: F401

pytestmark = pytest.mark.django_db


def local_day(moment: datetime.datetime) -> datetime.date:
    return timezone.localdate(moment)


@pytest.mark.usefixtures("today")
class TestTheDemosDates:
    def test_the_review_queue_shows_how_long_each_request_has_waited(self, loaded, client):  # noqa: F811
        signed_in(client, User.objects.get(email="team@example.com"))
        html = client.get(reverse("onboarding:queue")).content.decode()
        rows = {name: " ".join(re.sub(r"<[^>]+>", " ", row).split())
                for name, row in re.findall(r'<tr>\s*<th scope="row"[^>]*><a [^>]*>([^<]+)</a>'
                                            r"(.*?)</tr>", html, re.DOTALL)}
        assert "0 business days" not in html
        assert "Nov 18, 2026" in rows["Beneficiary Experience Research"]  # 4 business days
        assert "4 business days" in rows["Beneficiary Experience Research"]
        assert "5 business days" in rows["Measure Testing Laboratory"]
        assert "Question asked Nov 20, 2026" in rows["Measure Testing Laboratory"]
        waiting_leads = rows["Hospital Quality Reporting Modernization"]
        assert "Overdue" in waiting_leads
        assert int(re.search(r"(\d+) business days", waiting_leads).group(1)) >= 10

    def test_requests_move_forward_in_time_and_before_their_due_dates(self, loaded):  # noqa: F811
        submitted = OnboardingRequest.objects.exclude(submitted_at=None).select_related(
            "contract")
        assert submitted.count() >= 4
        for request in submitted:
            assert local_day(request.submitted_at) < TODAY, request.contract
            # The intake is due on the POP start; the demo's COR met it.
            assert local_day(request.submitted_at) <= request.contract.pop_start
            moments = [request.submitted_at, request.reviewed_at, request.lead_approved_at]
            moments = [m for m in moments if m]
            assert moments == sorted(moments), request.contract

    def test_nothing_is_done_before_its_contract_existed_or_after_today(self, loaded):  # noqa: F811
        for contract in Contract.objects.all():
            began = AuditEvent.objects.filter(contract=contract).order_by("id").first().at
            for step in contract.steps.exclude(completed_at=None):
                assert began <= step.completed_at, (contract, step.key)
                assert local_day(step.completed_at) <= TODAY, (contract, step.key)
            # Its history reads in order.
            times = list(AuditEvent.objects.filter(contract=contract).order_by("id")
                         .values_list("at", flat=True))
            assert times == sorted(times), contract

    def test_the_closing_contracts_notice_went_out_60_days_before_its_end(self, loaded):  # noqa: F811
        closing = Contract.objects.get(pk=loaded.created["closing"].pk)
        notice = closing.steps.get(key="closeout-notice")
        assert local_day(notice.completed_at) == closing.pop_end - datetime.timedelta(days=60)
