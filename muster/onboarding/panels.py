"""What onboarding adds to the contract page (registered by OnboardingConfig.ready())."""

from muster.accounts import permissions
from muster.accounts.permissions import Action
from muster.contracts import panels

from .models import OnboardingRequest, SurveyResponse
from .queries import packages_and_calls


@panels.register(panels.CONTRACT, order=10, template="onboarding/panels/contract.html")
def contract_panel(user, contract, today) -> dict:
    """Where the contract's onboarding stands, and what this person may do on it."""
    try:
        request = contract.onboarding_request
    except OnboardingRequest.DoesNotExist:
        request = None
    try:
        survey = contract.survey
    except SurveyResponse.DoesNotExist:
        survey = None
    packages, calls = packages_and_calls(contract.pk)
    return {
        "request": request,
        "can_notify_award": contract.stage == "solicitation"
        and permissions.can(user, Action.NOTIFY_AWARD, contract),
        "can_edit_intake": permissions.may_edit_intake(user, request) if request is not None
        else permissions.may_start_intake(user, contract),
        # A re-award's new record: onboarding carried over, no intake to invite.
        "intake_carried_over": request is None and contract.stage not in (
            "solicitation", "awarded", "onboarding") and permissions.carried_over(contract),
        "packages": packages,
        "calls": calls,
        "survey_to_answer": survey is not None and survey.answered_at is None
        and permissions.can(user, Action.ANSWER_SURVEY, contract),
    }
