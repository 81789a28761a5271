"""Scenario 2, a new contractor: the onboarding team starts the new contractor's contract
from the closing one (what it will get is queries.new_contract_plan)."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from muster import workflow
from muster.accounts.models import ContractRole
from muster.accounts.permissions import Action
from muster.audit import services as audit
from muster.contracts import services as contracts
from muster.contracts.models import Contract, ContractService
from muster.onboarding.models import OnboardingRequest
from muster.timeline.services import complete_step

from .models import Closeout
from .rules import CloseoutError, new_contract_refused
from .steps import NEW_CONTRACT_DONE_STEPS


@transaction.atomic
def start_new_contract(actor, closeout: Closeout, *, name: str, contract_number: str,
                       award_date: datetime.date, task_order_number: str = "",
                       pop_start: datetime.date | None = None) -> Contract:
    """Start the new contractor's contract from this one. The solicitation is done (this
    contract's requirements carry over), the award is recorded; the new contractor follows
    the onboarding process on its own timeline."""
    closeout = workflow.locked(closeout, related=["contract"])
    contract = closeout.contract
    workflow.require(actor, Action.CONFIRM_REMOVAL, contract)
    if refusal := new_contract_refused(closeout):
        raise CloseoutError(refusal)
    try:
        new = contracts.create_contract(
            actor, name=name.strip() or contract.name, contract_number=contract_number,
            task_order_number=task_order_number, estimated_award_date=award_date,
            award_date=award_date, pop_start=pop_start,
            type_of_work=contract.type_of_work,
            requirements_summary=contract.requirements_summary,
        )
    except ValidationError as error:
        raise CloseoutError(" ".join(error.messages)) from error
    for item in contract.services.exclude(status=ContractService.Status.DENIED):
        ContractService.objects.create(
            contract=new, service=item.service, status=ContractService.Status.REQUESTED,
            estimated_users=item.estimated_users, justification=item.justification,
        )
    for role in contract.roles.filter(role=ContractRole.Role.COR).select_related("user"):
        contracts.assign_role(actor, new, role.user, role.role)
    new = contracts.change_stage(actor, new, Contract.award)
    OnboardingRequest.objects.get_or_create(contract=new, defaults={"created_by": actor})
    done = f"Solicitation done: the contract follows {contract} (awarded to another contractor)."
    for step in new.steps.filter(key__in=NEW_CONTRACT_DONE_STEPS, completed_at__isnull=True):
        complete_step(actor, step, done)
    closeout.successor = new
    closeout.save(update_fields=["successor"])
    audit.record(actor, "closeout.new_contract_started", closeout,
                 f"Started the new contractor's contract {new}", contract=contract,
                 after={"successor": new.pk, "contract_number": new.contract_number})
    audit.record(actor, "closeout.follows", new, f"{new} follows {contract}",
                 contract=new, after={"predecessor": contract.pk})
    return new
