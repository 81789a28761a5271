"""Helpers for the team's work tests: open items of each kind, made directly (their own
apps' tests cover how they come about)."""

import datetime

from django.utils import timezone

from muster.access.models import AccessGrant, AdditionalServiceRequest, GrantStatus
from muster.accounts.models import ContractRole
from muster.catalog.models import Service
from muster.closeout.models import Closeout
from muster.contracts.models import ContractService
from muster.onboarding.models import OnboardingRequest, Status

from ..factories import UserFactory, give_role


def at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))


def submitted_request(contract, cor, day: datetime.date, status=Status.SUBMITTED):
    return OnboardingRequest.objects.create(contract=contract, status=status, created_by=cor,
                                            submitted_at=at(day), submitted_by=cor)


def requested_grant(contract, slug: str, day: datetime.date, *, so=None, user=None):
    service = Service.objects.get(slug=slug)
    approved = ContractService.Status.APPROVED
    if not ContractService.objects.filter(contract=contract, service=service).update(
            status=approved):
        ContractService.objects.create(contract=contract, service=service, status=approved)
    so = so or UserFactory()
    user = user or UserFactory()
    give_role(user, contract, ContractRole.Role.CONTRACTOR_USER)
    return AccessGrant.objects.create(contract=contract, user=user, service=service,
                                      status=GrantStatus.REQUESTED, requested_by=so,
                                      requested_at=at(day))


def service_request(contract, slug: str, day: datetime.date, requester):
    return AdditionalServiceRequest.objects.create(
        contract=contract, service=Service.objects.get(slug=slug),
        organization_name="HARP ORG", justification="Needed.", estimated_users=3,
        status=AdditionalServiceRequest.Status.AWAITING_LEADS, requested_by=requester,
        requested_at=at(day), cor_decided_by=requester, cor_decided_at=at(day))


def open_closeout(contract, day: datetime.date):
    return Closeout.objects.create(contract=contract, pop_end=contract.pop_end or day,
                                   notice_sent_at=at(day))
