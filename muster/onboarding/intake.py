"""The intake form's screens: what each shows, what it saves, and what is still missing.

The answers live where they belong (contract, organization, parties, services, DUA), so
the draft is the contract itself: the COR and POC edit the same data, and the team sees
exactly what was submitted. Every save goes through the contract services (audited).
Who may change it when is `accounts.permissions.may_edit_intake`; submitting it is the
request's transition (`services.submit`), which asks `problems` here what is missing.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any, cast

from django import forms
from django.db import transaction
from django.db.models import Q
from django.utils.timezone import localtime

from muster import clock, workflow
from muster.accounts import permissions
from muster.accounts.models import ContractRole, User
from muster.accounts.permissions import Action
from muster.audit import services as audit
from muster.catalog.models import HelpContact, Service
from muster.contracts import services as contracts
from muster.contracts.models import Contract, ContractService, DataUseAgreement, Organization
from muster.errors import NotAllowed
from muster.identity import invitations

from .errors import OnboardingError
from .evidence import complete_evidence
from .forms.intake import (
    PARTY_ROLES,
    SECURITY_ROLES,
    ContractScreen,
    DuaScreen,
    OrganizationScreen,
    PartiesScreen,
    ServicesScreen,
    TypeOfWorkScreen,
)
from .models import STOPPED, OnboardingRequest, Status


@dataclass(frozen=True)
class Screen:
    slug: str
    title: str
    form_class: type


SCREENS = [
    Screen("contract", "Contract and period of performance", ContractScreen),
    Screen("organization", "Organization", OrganizationScreen),
    Screen("parties", "People: COR, POC, SO and SPOC", PartiesScreen),
    Screen("work", "Type of work", TypeOfWorkScreen),
    Screen("services", "Services required", ServicesScreen),
    Screen("dua", "Data Use Agreement", DuaScreen),
]
BY_SLUG = {s.slug: s for s in SCREENS}


def needs_dua(contract: Contract) -> bool:
    return contract.services.filter(service__requires_dua=True).exclude(
        status=ContractService.Status.DENIED
    ).exists()


def screens_for(contract: Contract) -> list[Screen]:
    """The DUA screen appears only when a chosen service needs a DUA."""
    return [s for s in SCREENS if s.slug != "dua" or needs_dua(contract)]


def current_dua(contract: Contract) -> DataUseAgreement | None:
    return contract.duas.filter(invalidated_at__isnull=True).order_by("-uploaded_at").first()


def form_kwargs(screen: Screen, contract: Contract) -> dict:
    if screen.slug == "contract":
        return {"contract": contract}
    if screen.slug == "dua":
        return {"has_document": bool(current_dua(contract))}
    if screen.slug == "services":
        # The offered services, and any the contract already requests (even if no longer
        # offered): saving the screen must not drop a request nobody could see.
        return {"services": Service.objects.filter(
            Q(is_active=True) | Q(contract_services__contract=contract)
        ).distinct().order_by("order", "name")}
    return {}


def initial(screen: Screen, contract: Contract) -> dict:
    """What the screen shows before the person types: what is stored."""
    if screen.slug == "contract":
        return {f: getattr(contract, f) for f in
                ("name", "contract_number", "task_order_number", "pop_start", "pop_end")}
    if screen.slug == "organization":
        org = contract.organization
        return {"name": org.name, "harp_name": org.harp_name} if org else {}
    if screen.slug == "work":
        return {"type_of_work": contract.type_of_work}
    if screen.slug == "parties":
        data: dict[str, Any] = {}
        for role in contract.roles.select_related("user"):
            if role.role == ContractRole.Role.COR:
                data["cor_phone"] = role.user.phone
            elif role.role in {r for r, _ in PARTY_ROLES}:
                user = role.user
                data.update({f"{role.role}_name": user.full_name, f"{role.role}_email": user.email,
                             f"{role.role}_phone": user.phone, f"{role.role}_harp_id": user.harp_id,
                             f"{role.role}_eua_check": role.eua_check})
        return data
    if screen.slug == "services":
        data = {}
        for item in contract.services.all():
            p = f"svc_{item.service_id}"
            data.update({f"{p}_selected": True, f"{p}_users": item.estimated_users,
                         f"{p}_justification": item.justification})
        return data
    if screen.slug == "dua":
        dua = current_dua(contract)
        return ({"number": dua.number, "effective_date": dua.effective_date,
                 "expiry_date": dua.expiry_date} if dua else {})
    return {}


@transaction.atomic
def save_screen(actor, request: OnboardingRequest, screen: Screen, data: dict) -> None:
    """Store a valid screen's answers (cleaned form data)."""
    request = workflow.locked(request, related=["contract"])
    contract = request.contract
    workflow.require(actor, Action.EDIT_INTAKE, contract)
    if not permissions.may_edit_intake(actor, request):
        raise NotAllowed(refusal(actor, request))
    SAVERS[screen.slug](actor, contract, data)
    request.save(update_fields=["updated_at"])


def _save_contract(actor, contract, data):
    contracts.update_contract(actor, contract, **{
        f: data[f] for f in ("name", "contract_number", "task_order_number", "pop_start",
                             "pop_end")
    })


def _save_organization(actor, contract, data):
    org, created = Organization.objects.get_or_create(
        harp_name=data["harp_name"].strip(), defaults={"name": data["name"].strip()}
    )
    if not created and org.name != data["name"].strip():
        before = {"name": org.name}
        org.name = data["name"].strip()
        org.save(update_fields=["name"])
        audit.record(actor, "organization.updated", org, f"Renamed organization to {org.name}",
                     contract=contract, before=before, after={"name": org.name})
    contracts.update_contract(actor, contract, organization=org)


def _person(actor, contract, data, role) -> User:
    """The person named for a role: found by email, else added (without a password: they
    get one when they are invited). A HARP ID held by someone else is refused."""
    email = data[f"{role}_email"].strip().lower()
    harp_id = (data.get(f"{role}_harp_id") or "").strip()
    if harp_id:
        holder = User.objects.filter(harp_id__iexact=harp_id).exclude(email=email).first()
        if holder:
            raise OnboardingError(
                f"HARP ID {harp_id} belongs to someone else in Muster; check it."
            )
    user = User.objects.filter(email__iexact=email).first()
    fields = {"full_name": data[f"{role}_name"].strip(), "phone": data[f"{role}_phone"].strip()}
    if harp_id:
        fields["harp_id"] = harp_id
    if user is None:
        user = User.objects.create_user(email, None, **fields)
        audit.record(actor, "user.created", user, f"Added {user} as {role.upper()}",
                     contract=contract, after={"email": email, **fields})
        return user
    before = audit.snapshot(user, list(fields))
    for name, value in fields.items():
        setattr(user, name, value)
    old, new = audit.changed(before, audit.snapshot(user, list(fields)))
    if new:
        user.save(update_fields=list(new))
        audit.record(actor, "user.updated", user, f"Updated {user}'s contact details",
                     contract=contract, before=old, after=new)
    return user


def _save_parties(actor, contract, data):
    cor = contract.roles.filter(role=ContractRole.Role.COR).select_related("user").first()
    if cor and cor.user.phone != data["cor_phone"].strip():
        before = {"phone": cor.user.phone}
        cor.user.phone = data["cor_phone"].strip()
        cor.user.save(update_fields=["phone"])
        audit.record(actor, "user.updated", cor.user, "Updated the COR's phone",
                     contract=contract, before=before, after={"phone": cor.user.phone})
    for role, _label in PARTY_ROLES:
        user = _person(actor, contract, data, role)
        assignment = contracts.assign_role(actor, contract, user, role)
        # Named: invited when they have no way to sign in yet (inside this transaction).
        invitations.person_named(actor, user, contract=contract,
                                 as_what=invitations.as_role(role))
        eua = data.get(f"{role}_eua_check")
        if eua and assignment.eua_check != eua:
            before = {"eua_check": assignment.eua_check}
            assignment.eua_check = eua
            assignment.save(update_fields=["eua_check"])
            audit.record(actor, "contract.eua_check", assignment,
                         f"{user}'s EUA background check: {assignment.get_eua_check_display()}",
                         contract=contract, before=before, after={"eua_check": eua})
    # Naming the SO and SPOC on the contract is that step's evidence.
    complete_evidence(actor, contract, "name-so-spoc", "SO and SPOC named on the contract.")


def _save_work(actor, contract, data):
    contracts.update_contract(actor, contract, type_of_work=data["type_of_work"].strip())


def _save_services(actor, contract, data):
    chosen = {service.pk: (service, users, justification)
              for service, users, justification in data["chosen"]}
    for item in contract.services.select_related("service"):
        if item.service_id not in chosen:
            if item.status != ContractService.Status.REQUESTED:
                raise OnboardingError(f"{item.service} was already decided; it stays.")
            audit.record(actor, "contract.service_removed", item,
                         f"No longer requesting {item.service}", contract=contract,
                         before={"service": item.service.name})
            item.delete()
    existing = {i.service_id: i for i in contract.services.all()}
    for service_id, (service, users, justification) in chosen.items():
        item = existing.get(service_id)
        if item is None:
            item = ContractService.objects.create(
                contract=contract, service=service, estimated_users=users,
                justification=justification.strip(),
            )
            audit.record(actor, "contract.service_requested", item, f"Requested {service}",
                         contract=contract,
                         after={"estimated_users": users, "justification": justification})
            continue
        before = audit.snapshot(item, ["estimated_users", "justification"])
        item.estimated_users, item.justification = users, justification.strip()
        old, new = audit.changed(before, audit.snapshot(item, ["estimated_users",
                                                               "justification"]))
        if new:
            item.save(update_fields=list(new))
            audit.record(actor, "contract.service_updated", item, f"Changed {service} request",
                         contract=contract, before=old, after=new)
    if not needs_dua(contract):
        _discard_draft_duas(actor, contract)


def _discard_draft_duas(actor, contract):
    """No chosen service needs a DUA any more: the DUA given on this unsubmitted intake
    form goes, its record and its PDF (the audit record keeps what it was). A DUA given
    on the DUA page, or submitted with the form, is the contract's and stays."""
    for dua in contract.duas.filter(intake_draft=True):
        audit.record(
            actor, "contract.dua_discarded", dua,
            f"Discarded draft DUA {dua.number}: no chosen service needs a DUA",
            contract=contract,
            before={"number": dua.number, "effective_date": dua.effective_date,
                    "expiry_date": dua.expiry_date, "document": dua.document.name},
        )
        storage, name = dua.document.storage, dua.document.name
        dua.delete()
        # The file goes only once the deletion is committed: a rollback keeps both.
        transaction.on_commit(partial(storage.delete, name))


def submit_draft_duas(contract: Contract) -> None:
    """Submitting the form makes the DUA given on it the contract's (no longer a draft)."""
    contract.duas.filter(intake_draft=True).update(intake_draft=False)


def _save_dua(actor, contract, data):
    dua = current_dua(contract)
    fields = {"number": data["number"].strip(), "effective_date": data.get("effective_date"),
              "expiry_date": data["expiry_date"]}
    if dua is None or data.get("document"):
        # Given before the form's first submission, it is a draft until then.
        draft = contract.onboarding_request.status == Status.DRAFT
        dua = DataUseAgreement(contract=contract, uploaded_by=actor, uploaded_at=clock.now(),
                               intake_draft=draft, **fields)
        dua.document.save(f"{fields['number']}.pdf", data["document"], save=False)
        dua.save()
        audit.record(actor, "contract.dua_uploaded", dua, f"Uploaded DUA {dua.number}",
                     contract=contract, after={**fields, "document": dua.document.name})
        return
    before = audit.snapshot(dua, list(fields))
    for name, value in fields.items():
        setattr(dua, name, value)
    old, new = audit.changed(before, audit.snapshot(dua, list(fields)))
    if new:
        dua.save(update_fields=list(new))
        audit.record(actor, "contract.dua_updated", dua, f"Changed DUA {dua.number}",
                     contract=contract, before=old, after=new)


SAVERS = {
    "contract": _save_contract,
    "organization": _save_organization,
    "parties": _save_parties,
    "work": _save_work,
    "services": _save_services,
    "dua": _save_dua,
}


def problems(contract: Contract) -> dict[str, list[str]]:
    """What is still missing, by screen title; empty when the intake can be submitted."""
    missing: dict[str, list[str]] = {}

    def need(slug: str, what: str) -> None:
        missing.setdefault(BY_SLUG[slug].title, []).append(what)

    if not contract.pop_start or not contract.pop_end:
        need("contract", "the period of performance")
    if contract.organization_id is None:
        need("organization", "the organization and its HARP name")
    roles = {r.role: r for r in contract.roles.select_related("user")}
    for role, label in PARTY_ROLES:
        holder = roles.get(role)
        if holder is None:
            need("parties", label)
        elif role in SECURITY_ROLES and not holder.user.harp_id:
            need("parties", f"the {role.upper()}'s HARP ID")
    if not contract.type_of_work.strip():
        need("work", "the type of work")
    items = list(contract.services.select_related("service"))
    if not items:
        need("services", "at least one service")
    for item in items:
        if item.status != ContractService.Status.DENIED and (
            not item.estimated_users or not item.justification.strip()
        ):
            need("services", f"the estimated users and justification for {item.service}")
    if needs_dua(contract):
        dua = current_dua(contract)
        if dua is None:
            need("dua", "the signed DUA")
        elif not dua.is_valid_on(clock.today()):
            need("dua", "a DUA that is still valid")
    return missing


def next_screen(contract: Contract, screen: Screen) -> Screen | None:
    """The screen after this one (None after the last), as the answers stand now: choosing
    a service that needs a DUA brings in the DUA screen."""
    screens = screens_for(contract)
    slugs = [s.slug for s in screens]
    if screen.slug not in slugs:
        return None
    index = slugs.index(screen.slug)
    return screens[index + 1] if index + 1 < len(screens) else None


def previous_screen(contract: Contract, screen: Screen) -> Screen | None:
    screens = screens_for(contract)
    slugs = [s.slug for s in screens]
    index = slugs.index(screen.slug) if screen.slug in slugs else 0
    return screens[index - 1] if index > 0 else None


def progress(contract: Contract, missing: dict[str, list[str]] | None = None) -> list[dict]:
    """Each screen of this contract's intake with what is still missing on it."""
    missing = problems(contract) if missing is None else missing
    return [{"screen": s, "missing": missing.get(s.title, []),
             "done": s.title not in missing} for s in screens_for(contract)]


def first_incomplete(contract: Contract) -> Screen | None:
    missing = problems(contract)
    return next((s for s in screens_for(contract) if s.title in missing), None)


def _show(value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, datetime.date):
        return f"{value:%B %-d, %Y}"
    return str(value)


def summary(screen: Screen, contract: Contract) -> list[tuple[str, str]]:
    """What a screen holds, as (label, value) pairs for the review page ("" = not given)."""
    if screen.slug == "services":
        return [
            (item.service.name,
             f"Estimated users: {item.estimated_users or 'not given'}. "
             f"Justification: {item.justification or 'not given'}")
            for item in contract.services.select_related("service")
        ]
    form = screen.form_class(**form_kwargs(screen, contract))
    data = initial(screen, contract)
    rows = []
    if screen.slug == "parties":
        cor = contract.roles.filter(role=ContractRole.Role.COR).select_related("user").first()
        if cor:
            rows.append(("COR", f"{cor.user.full_name} ({cor.user.email})"))
    for name, field in form.fields.items():
        if isinstance(field, forms.FileField):
            continue
        value = data.get(name)
        if isinstance(field, forms.ChoiceField):
            value = dict(cast(Iterable, field.choices)).get(value, value) if value else ""
        rows.append((str(field.label), _show(value)))
    if screen.slug == "dua":
        dua = current_dua(contract)
        rows.append(("Signed DUA (PDF)", f"Uploaded {localtime(dua.uploaded_at):%B %-d, %Y}"
                     if dua and dua.document else ""))
    return rows


def refusal(user, request: OnboardingRequest) -> str:
    """Why this person cannot change the intake form now (the 403 page says it)."""
    if request.status in STOPPED:
        until = "" if request.status == Status.REJECTED else " unless the team reopens it"
        return (f"This onboarding request is “{request.get_status_display()}”, so its intake "
                f"form is closed{until}.")
    closed = permissions.intake_closed_reason(request.contract, request)
    if closed:
        return closed
    if request.status in (Status.DRAFT, Status.QUESTION):
        return ("The COR and the contractor's point of contact fill in the intake form until "
                "it is submitted; the onboarding team edits it after that.")
    contact = HelpContact.objects.filter(title__icontains="onboarding").exclude(email="").first()
    where = f" at {contact.email}" if contact else ""
    if request.status == Status.COMPLETE:
        return ("This onboarding request is complete, so its intake form is closed. Email the "
                f"onboarding team{where} if something has changed.")
    return ("This intake form has been submitted: only the onboarding team can change it now. "
            f"Email the onboarding team{where} with what should change.")


@transaction.atomic
def start(actor, contract: Contract) -> OnboardingRequest:
    """The contract's request (created at award; created here for older contracts), by
    the COR or POC, while the contract's stage allows an intake."""
    if not permissions.can(actor, Action.SUBMIT_INTAKE, contract):
        raise NotAllowed("The COR or the contractor's point of contact starts the intake form.")
    closed = permissions.intake_closed_reason(contract, _request_of(contract))
    if closed:
        raise NotAllowed(closed)
    request, created = OnboardingRequest.objects.get_or_create(
        contract=contract, defaults={"created_by": actor}
    )
    if created:
        audit.record(actor, "onboarding.started", request, "Started the intake form",
                     contract=contract)
    return request


def _request_of(contract: Contract) -> OnboardingRequest | None:
    return OnboardingRequest.objects.filter(contract=contract).first()


def all_services():
    return Service.objects.filter(is_active=True)
