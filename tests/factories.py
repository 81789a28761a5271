"""Factories for tests: real rows through the same services the pages use."""

import datetime
import io
import os

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfWriter

from muster.accounts.models import ContractRole, TeamRole, User
from muster.catalog.models import Service
from muster.contracts import services as contract_services
from muster.contracts.models import Contract, ContractService, Organization, Stage
from muster.onboarding.models import OnboardingRequest, Status

PASSWORD = "correct-horse-battery-9"
# The day most tests freeze (`freeze_today(TODAY)`): a Tuesday, no holiday near.
TODAY = datetime.date(2026, 11, 24)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    harp_id = factory.Sequence(lambda n: f"harp{n:04d}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Contractor {n} LLC")
    harp_name = factory.Sequence(lambda n: f"CONTRACTOR {n}")


def make_contract(actor=None, **fields):
    """A contract with its timeline, through the service (so it is audited)."""
    n = make_contract.counter = getattr(make_contract, "counter", 0) + 1
    fields.setdefault("name", f"Contract {n}")
    fields.setdefault("contract_number", f"75FCMC26C{n:04d}")
    fields.setdefault("estimated_award_date", datetime.date(2026, 3, 2))
    return contract_services.create_contract(actor, **fields)


def activate(contract: Contract) -> Contract:
    """The contract awarded, onboarding, then active: each stage through the service."""
    for transition in (Contract.award, Contract.start_onboarding, Contract.activate):
        contract = contract_services.change_stage(None, contract, transition)
    return contract


def contract_form_data(contract: Contract, **changes) -> dict:
    """What the contract edit form posts: the contract's own values, with `changes`."""

    def day(value: datetime.date | None) -> str:
        return value.isoformat() if value else ""

    return {
        "name": contract.name,
        "contract_number": contract.contract_number,
        "task_order_number": contract.task_order_number,
        "estimated_award_date": day(contract.estimated_award_date),
        "award_date": day(contract.award_date),
        "pop_start": day(contract.pop_start),
        "pop_end": day(contract.pop_end),
        "type_of_work": contract.type_of_work,
        **changes,
    }


def give_role(user, contract, role):
    return ContractRole.objects.create(user=user, contract=contract, role=role)


def team_member(role, service=None, **user_fields):
    user = UserFactory(**user_fields)
    TeamRole.objects.create(user=user, role=role, service=service)
    return user


def request_service(contract, slug, status=ContractService.Status.REQUESTED):
    return ContractService.objects.create(
        contract=contract, service=Service.objects.get(slug=slug), status=status
    )


def pdf_bytes(padding: int = 0) -> bytes:
    """A real one-page PDF that passes muster/uploads.py's checks; `padding` bytes of
    random attachment make it as large as a test needs."""
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    if padding:
        writer.add_attachment("padding.bin", os.urandom(padding))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_upload(name: str = "signed-dua.pdf", content: bytes | None = None):
    """An uploaded PDF as a form's file field receives it (`pdf_bytes()` unless given)."""
    return SimpleUploadedFile(name, pdf_bytes() if content is None else content,
                              content_type="application/pdf")


def csv_upload(content: str | bytes, name: str = "users.csv"):
    """An uploaded CSV file (text is encoded as UTF-8), as the roster import receives it."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, content_type="text/csv")


def signed_in(client, person):
    """The test client, signed in as `person`."""
    client.force_login(person)
    return client


def approved_for_onboarding(contract: Contract, cor: User) -> Contract:
    """`contract` with its services approved and an approved onboarding request from
    `cor`, in stage onboarding: ready for its welcome package."""
    contract.services.update(status=ContractService.Status.APPROVED)
    OnboardingRequest.objects.create(contract=contract, status=Status.APPROVED, created_by=cor)
    Contract.objects.filter(pk=contract.pk).update(stage=Stage.ONBOARDING)
    return contract
