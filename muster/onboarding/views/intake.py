"""The intake wizard: an overview, one page per screen, and a review before submitting.

Thin: parse, authorize (accounts.permissions: the role, then may_edit_intake for the
request's status), call one function of onboarding.intake or onboarding.services, render
or redirect. What the pages offer the person, they ask with `{% may %}`.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from muster import workflow
from muster.accounts import permissions
from muster.accounts.permissions import Action
from muster.actions import act, refused_as_form_error

from .. import intake, services
from ..forms.review import VersionedForm
from ..models import OnboardingRequest


def _request_of(contract) -> OnboardingRequest | None:
    try:
        return contract.onboarding_request
    except OnboardingRequest.DoesNotExist:
        return None


def intake_start(request, pk):
    """The overview: each screen, done or what is missing, and where to go next. A contract
    with no request yet (awarded before Muster started one at the award) gets a button that
    starts it: a POST, since opening a page never changes anything."""
    user = request.user
    contract = permissions.contract_for(user, pk, Action.EDIT_INTAKE)
    if request.method == "POST":
        return _start(request, contract)
    onboarding = _request_of(contract)
    progress = intake.progress(contract)
    return render(request, "onboarding/intake/start.html", {
        "contract": contract,
        "onboarding": onboarding,
        "progress": progress,
        "next_screen": next((row["screen"] for row in progress if not row["done"]), None),
        "started": any(row["done"] for row in progress),
        "closed": permissions.intake_closed_reason(contract, onboarding),
        "refusal": intake.refusal(user, onboarding) if onboarding else "",
    })


def _start(request, contract):
    """The button that starts a contract's request (a POST: opening a page changes nothing)."""
    first = intake.first_incomplete(contract)
    return act(
        request, call=lambda data: intake.start(request.user, contract),
        done="Intake form started. The COR and the contractor's point of contact both work "
             "on this draft.",
        then=(reverse("onboarding:intake_review", args=[contract.pk]) if first is None else
              reverse("onboarding:intake_screen", args=[contract.pk, first.slug])),
    )


def _screen_or_404(contract, slug: str):
    screen = next((s for s in intake.screens_for(contract) if s.slug == slug), None)
    if screen is None:
        raise Http404("No such screen in this contract's intake form.")
    return screen


# A screen opened from the review (its "Change" link, or a missing item) returns there.
FROM_REVIEW = "review"


def _saved(user, onboarding, screen, form) -> bool:
    """Store the screen's valid answers; a refusal becomes an error at the form's top."""
    try:
        with refused_as_form_error(form) as refusal:
            intake.save_screen(user, onboarding, screen, form.cleaned_data)
    except ValidationError as error:  # a model's own validation, e.g. an upload's storage
        form.add_error(None, " ".join(error.messages))
        return False
    return not refusal


def intake_screen(request, pk, screen):
    user = request.user
    from_review = request.GET.get("from") == FROM_REVIEW
    contract = permissions.contract_for(user, pk, Action.EDIT_INTAKE)
    current = _screen_or_404(contract, screen)
    onboarding = _request_of(contract)
    if onboarding is None:
        return redirect("onboarding:intake", contract.pk)
    if not permissions.may_edit_intake(user, onboarding):
        raise PermissionDenied(intake.refusal(user, onboarding))
    kwargs = intake.form_kwargs(current, contract)
    if request.method == "POST":
        form = current.form_class(request.POST, request.FILES, **kwargs)
        if form.is_valid() and _saved(user, onboarding, current, form):
            if "save_draft" in request.POST:
                messages.success(request, "Draft saved.")
                here = reverse("onboarding:intake_screen", args=[contract.pk, current.slug])
                return redirect(f"{here}?from={FROM_REVIEW}" if from_review else here)
            following = intake.next_screen(contract, current)
            if from_review or following is None:
                return redirect("onboarding:intake_review", contract.pk)
            return redirect("onboarding:intake_screen", contract.pk, following.slug)
    else:
        form = current.form_class(initial=intake.initial(current, contract), **kwargs)
    progress = intake.progress(contract)
    position = [row["screen"].slug for row in progress].index(current.slug)
    return render(request, "onboarding/intake/screen.html", {
        "contract": contract,
        "onboarding": onboarding,
        "screen": current,
        "form": form,
        "progress": progress,
        "step_number": position + 1,
        "step_total": len(progress),
        "previous": intake.previous_screen(contract, current),
        "dua": intake.current_dua(contract) if current.slug == "dua" else None,
        "file_given": bool(request.FILES),
        "from_review": from_review,
    }, status=400 if form.errors else 200)


def intake_review(request, pk):
    """Everything entered, by screen, with what is missing; submitting sends it to the team."""
    user = request.user
    contract = permissions.contract_for(user, pk, Action.EDIT_INTAKE)
    onboarding = _request_of(contract)
    if onboarding is None:
        return redirect("onboarding:intake", contract.pk)
    form = VersionedForm(request.POST if request.method == "POST" else None,
                         initial={"version": onboarding.version})
    if request.method == "POST" and form.is_valid():
        with refused_as_form_error(form) as refusal:
            services.submit(user, onboarding, version=form.cleaned_data["version"])
        if isinstance(refusal.error, workflow.StaleChange):  # show the form as it is now
            messages.error(request, str(refusal.error))
            return redirect("onboarding:intake_review", contract.pk)
        if not refusal:
            messages.success(
                request,
                "Intake form submitted. The onboarding team reviews it for completeness and "
                "clarity, and will write here if it has a question.",
            )
            return redirect("onboarding:request", contract.pk)
    missing = intake.problems(contract)
    # Submit is offered only when nothing is missing (services.submit refuses it anyway).
    sections = [
        {"screen": s, "rows": intake.summary(s, contract), "missing": missing.get(s.title, [])}
        for s in intake.screens_for(contract)
    ]
    return render(request, "onboarding/intake/review.html", {
        "contract": contract,
        "onboarding": onboarding,
        "form": form,
        "sections": sections,
        "missing": missing,
        "refusal": intake.refusal(user, onboarding),
    }, status=400 if form.errors else 200)
