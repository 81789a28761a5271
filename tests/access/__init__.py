"""Tests of contractor users and their access (issue 4)."""

import datetime
import html

from muster.access.models import AccessGrant, GrantStatus
from muster.catalog.models import Service
from muster.contracts.models import ContractService, DataUseAgreement
from muster.notifications.models import OutboxEmail


def approve(contract, slug) -> Service:
    """Make `slug` an approved service of the contract (requesting it first if needed)."""
    service = Service.objects.get(slug=slug)
    approved = ContractService.Status.APPROVED
    if not ContractService.objects.filter(contract=contract, service=service).update(
            status=approved):
        ContractService.objects.create(contract=contract, service=service, status=approved)
    return service


def give_dua(contract, *, expiry=datetime.date(2099, 1, 1), invalidated=False, number="DUA-1"):
    dua = DataUseAgreement.objects.create(
        contract=contract, number=number, expiry_date=expiry,
        document=f"contracts/{contract.pk}/dua/{number}.pdf",
    )
    if invalidated:
        DataUseAgreement.objects.filter(pk=dua.pk).update(
            invalidated_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
            invalidated_reason="Signed by the wrong person.",
        )
    return dua


def make_grant(people, service, status=GrantStatus.REQUESTED):
    return AccessGrant.objects.create(
        contract=people["mine"], user=people["contractor_user"], service=service,
        status=status, eua_job_code=service.eua_job_code, requested_by=people["so"],
    )


def text_of(response) -> str:
    """The page's HTML with its entities decoded (so "Cody User's" reads as typed)."""
    return html.unescape(response.content.decode())


def emails_about(grant):
    return OutboxEmail.objects.filter(key__startswith=f"grant:{grant.pk}:")
