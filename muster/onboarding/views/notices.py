"""The solicitation and award notices. Thin: parse, authorize, call one service, redirect.
A refusal shows on the form, above its fields (`_filed`)."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render

from muster.accounts import permissions
from muster.accounts.permissions import Action
from muster.actions import refused_as_form_error
from muster.contracts.models import Stage

from .. import services
from ..forms.notices import AwardForm, SolicitationForm


def _filed(form, call: Callable[[dict], Any]) -> Any:
    """Call the service with the valid form's data; None when it refused (the reason is
    then on the form: a refusal, or a model's own validation)."""
    try:
        with refused_as_form_error(form) as refusal:
            result = call(form.cleaned_data)
    except ValidationError as error:
        form.add_error(None, " ".join(error.messages))
        return None
    return None if refusal else result


def solicitation_new(request):
    """A COR (or the team on a COR's behalf) tells the team a solicitation is out."""
    if not permissions.may_notify_solicitation(request.user):
        raise PermissionDenied(
            "Only a COR or the onboarding team can notify a solicitation. Ask the onboarding "
            "team if you need to."
        )
    form = SolicitationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        contract = _filed(form, lambda data: services.notify_solicitation(
            request.user, name=data["name"].strip(), contract_number=data["contract_number"],
            estimated_award_date=data["estimated_award_date"],
            requirements_summary=data["requirements_summary"].strip(),
        ))
        if contract is not None:
            messages.success(
                request,
                f"Solicitation notice filed for {contract.name}. The onboarding team has been "
                "told; the timeline below counts from the estimated award date.",
            )
            return redirect("contracts:detail", contract.pk)
    return render(request, "onboarding/notices/solicitation.html", {"form": form},
                  status=400 if form.errors else 200)


def award(request, pk):
    """The COR records the award; the contractor then has 1 day to name the SO and SPOC."""
    contract = permissions.contract_for(request.user, pk, Action.NOTIFY_AWARD)
    form = AwardForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        awarded = _filed(form, lambda data: services.notify_award(
            request.user, contract, award_date=data["award_date"]))
        if awarded is not None:
            contract = awarded
            step = contract.steps.filter(key="name-so-spoc").first()
            due = f" by {step.due_date:%A, %B %-d, %Y}" if step and step.due_date else ""
            messages.success(
                request,
                f"Award recorded for {contract.name}. The contractor must name its Security "
                f"Official (SO) and Security Point of Contact (SPOC){due}: fill in the intake "
                "form with them.",
            )
            return redirect("onboarding:intake", contract.pk)
    return render(request, "onboarding/notices/award.html", {
        "contract": contract, "form": form,
        "already_awarded": contract.stage != Stage.SOLICITATION,
    }, status=400 if form.errors else 200)
