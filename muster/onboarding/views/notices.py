"""The solicitation and award notices. Thin: parse, authorize, call one service, redirect."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render

from muster.accounts import permissions
from muster.accounts.permissions import Action
from muster.contracts.models import Stage

from .. import services
from ..forms import AwardForm, SolicitationForm


def _messages_of(error: ValidationError) -> str:
    return " ".join(error.messages)


def solicitation_new(request):
    """A COR (or the team on a COR's behalf) tells the team a solicitation is out."""
    if not permissions.may_notify_solicitation(request.user):
        raise PermissionDenied(
            "Only a COR or the onboarding team can notify a solicitation. Ask the onboarding "
            "team if you need to."
        )
    form = SolicitationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            contract = services.notify_solicitation(
                request.user, name=data["name"].strip(), contract_number=data["contract_number"],
                estimated_award_date=data["estimated_award_date"],
                requirements_summary=data["requirements_summary"].strip(),
            )
        except services.OnboardingError as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            form.add_error(None, _messages_of(error))
        else:
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
        try:
            contract = services.notify_award(
                request.user, contract, award_date=form.cleaned_data["award_date"]
            )
        except services.OnboardingError as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            form.add_error(None, _messages_of(error))
        else:
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
