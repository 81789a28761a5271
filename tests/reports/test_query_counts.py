"""The metrics page, its CSV files and its charts cost the same number of SQL queries at 10
and at 130 contracts, each with history in every table (steps done, a request completed, a
survey, decisions, grants, a DUA, a closeout)."""

import datetime

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from muster.access.models import AccessGrant, AdditionalServiceRequest, GrantStatus
from muster.accounts.models import ContractRole
from muster.catalog.models import Service
from muster.closeout.models import Closeout, Scenario
from muster.contracts.models import ContractService, DataUseAgreement
from muster.onboarding.models import OnboardingRequest, Status, SurveyResponse

from ..factories import TODAY, UserFactory, give_role, make_contract, signed_in
from .test_metrics import METRICS

MORE = 120


def at(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(10),
                                     tzinfo=timezone.get_current_timezone())


def add_contracts(n: int, cor) -> None:
    services = list(Service.objects.filter(slug__in=["sas-viya", "confluence", "slack"]))
    for i in range(n):
        contract = make_contract()
        give_role(cor, contract, ContractRole.Role.COR)
        start = TODAY - datetime.timedelta(days=30 + (i * 7) % 300)
        for offset, key in enumerate(["notify-award", "submit-intake", "eligibility-meeting",
                                      "complete-onboarding"]):
            day = start + datetime.timedelta(days=2 * offset)
            contract.steps.filter(key=key).update(completed_at=at(day), due_date=day)
        OnboardingRequest.objects.create(contract=contract, status=Status.COMPLETE,
                                         created_by=cor, submitted_at=at(start),
                                         completed_at=at(start + datetime.timedelta(days=6)))
        SurveyResponse.objects.create(contract=contract, sent_at=at(start),
                                      satisfaction=1 + i % 5 if i % 3 else None,
                                      answered_at=at(start) if i % 3 else None)
        service = services[i % len(services)]
        ContractService.objects.create(
            contract=contract, service=service, decided_at=at(start),
            status=ContractService.Status.DENIED if i % 4 == 0 else
            ContractService.Status.APPROVED)
        AdditionalServiceRequest.objects.create(
            contract=contract, service=services[(i + 1) % len(services)],
            organization_name="ORG", justification="Needed.", estimated_users=2,
            status="approved" if i % 2 else "denied", requested_by=cor, decided_at=at(start))
        user = UserFactory()
        AccessGrant.objects.create(contract=contract, user=user, service=service,
                                   requested_by=cor, status=GrantStatus.ACTIVE)
        DataUseAgreement.objects.create(contract=contract, number=f"D{contract.pk}",
                                        expiry_date=TODAY + datetime.timedelta(days=i % 100))
        Closeout.objects.create(contract=contract, pop_end=TODAY, notice_sent_at=at(start),
                                scenario=Scenario.values[i % 4],
                                status=Closeout.Status.SCENARIO_CHOSEN)


def count(client, url: str) -> int:
    client.get(url)  # first-use caches (content types, sessions) are not the page's
    cache.clear()  # the page keeps its figures ten minutes: count the work of computing them
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_the_metrics_cost_the_same_queries_at_10_and_130_contracts(
        client, people, freeze_today, django_assert_num_queries):
    freeze_today()
    add_contracts(8, people["cor"])  # with `mine` and `other`: 10
    signed_in(client, people["team_lead"])
    urls = [METRICS, *(reverse(f"reports:metric_{kind}", args=[name])
                       for name in ("cycle-times", "survey-satisfaction", "closeouts")
                       for kind in ("csv", "svg"))]
    at_ten = {url: count(client, url) for url in urls}
    html = client.get(METRICS).content.decode()
    assert "No step or onboarding request was completed" not in html

    add_contracts(MORE, people["cor"])

    for url in urls:
        client.get(url)
        cache.clear()
        with django_assert_num_queries(at_ten[url], info=url):
            assert client.get(url).status_code == 200
