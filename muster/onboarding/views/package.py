"""The welcome package (list, page, print view, PDF, send), touch-point calls and the
post-onboarding survey. Thin: parse, authorize (accounts.permissions), call one service,
render or redirect."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from muster.accounts import permissions
from muster.accounts.permissions import Action
from muster.actions import refused_as_form_error, refused_as_message
from muster.contracts.models import Contract

from .. import package as service
from ..forms import CallForm, SurveyForm
from ..models import CallDocument, SurveyResponse, WelcomePackage

# --- The welcome package ---------------------------------------------------------------


def packages(request, pk):
    user = request.user
    contract = permissions.contract_for(user, pk, Action.VIEW_WELCOME)
    can_send = permissions.can(user, Action.SEND_WELCOME, contract)
    sent = list(contract.welcome_packages.select_related("sent_by"))
    return render(request, "onboarding/package/list.html", {
        "contract": contract,
        "packages": sent,
        "can_send": can_send,
        "blockers": service.send_blockers(contract) if can_send else [],
        "kinds": WelcomePackage.Kind.choices,
    })


@require_POST
def send_package(request, pk):
    contract = permissions.contract_for(request.user, pk, Action.SEND_WELCOME)
    kind = request.POST.get("kind") or WelcomePackage.Kind.INITIAL
    if kind not in WelcomePackage.Kind.values:
        messages.error(request, "Choose what to send: a new version or an addendum.")
        return redirect("onboarding:packages", contract.pk)
    with refused_as_message(request, "The welcome package was not sent. ") as refusal:
        package = service.send_welcome_package(request.user, contract, kind=kind)
    if refusal:
        return redirect("onboarding:packages", contract.pk)
    messages.success(
        request,
        f"{package.get_kind_display()} version {package.version} sent to "
        f"{', '.join(package.sent_to)}. The PDF is attached to the email.",
    )
    return redirect("onboarding:packages", contract.pk)


def _package(request, pk, version) -> tuple[Contract, WelcomePackage]:
    contract = permissions.contract_for(request.user, pk, Action.VIEW_WELCOME)
    package = get_object_or_404(
        WelcomePackage.objects.select_related("sent_by"), contract=contract, version=version
    )
    return contract, package


def package_page(request, pk, version):
    contract, package = _package(request, pk, version)
    return render(request, "onboarding/package/page.html", {
        "contract": contract,
        "package": package,
        "here": f"Version {package.version}",
        # The stored HTML is our own rendering (autoescaped) exactly as sent.
        "body": mark_safe(service.package_body(package)),  # noqa: S308
    })


def package_print(request, pk, version):
    _, package = _package(request, pk, version)
    return HttpResponse(package.html, content_type="text/html; charset=utf-8")


def package_pdf(request, pk, version):
    contract, package = _package(request, pk, version)
    try:
        handle = package.pdf.open("rb")
    except (FileNotFoundError, ValueError) as error:
        raise Http404("The PDF of this version is missing.") from error
    return FileResponse(
        handle, as_attachment=True, content_type="application/pdf",
        filename=f"welcome-package-{contract.contract_number}-v{package.version}.pdf",
    )


# --- Touch-point calls -----------------------------------------------------------------


def calls(request, pk):
    user = request.user
    contract = permissions.contract_for(user, pk, Action.VIEW_CONTRACT)
    can_record = permissions.can(user, Action.RECORD_CALL, contract)
    form = CallForm()
    status = 200
    if request.method == "POST":
        if not can_record:
            raise PermissionDenied("Your role on this contract does not allow recording calls.")
        form = CallForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            with refused_as_form_error(form) as refusal:
                call = service.record_call(
                    user, contract, held_on=data["held_on"], topics=data["topics"],
                    outcome=data["outcome"], notes=data["notes"], documents=data["documents"],
                )
            if not refusal:
                count = len(data["documents"])
                messages.success(
                    request,
                    f"The call of {call.held_on:%B %-d, %Y} is archived"
                    + (f" with {count} document{'s' if count != 1 else ''}." if count else "."),
                )
                return redirect("onboarding:calls", contract.pk)
        status = 400
    archived = contract.calls.select_related("recorded_by").prefetch_related("documents")
    return render(request, "onboarding/package/calls.html", {
        "contract": contract, "calls": archived, "form": form, "can_record": can_record,
    }, status=status)


def call_document(request, pk, call_pk, doc_pk):
    contract = permissions.contract_for(request.user, pk, Action.VIEW_CONTRACT)
    document = get_object_or_404(CallDocument, pk=doc_pk, call_id=call_pk,
                                 call__contract=contract)
    try:
        handle = document.file.open("rb")
    except (FileNotFoundError, ValueError) as error:
        raise Http404("This document is missing.") from error
    return FileResponse(handle, as_attachment=True, filename=document.name,
                        content_type="application/pdf")


# --- The post-onboarding survey --------------------------------------------------------


def survey(request, pk):
    user = request.user
    contract = permissions.contract_for(user, pk, Action.ANSWER_SURVEY)
    sent = SurveyResponse.objects.filter(contract=contract).first()
    form = SurveyForm()
    status = 200
    if request.method == "POST":
        if sent is None:
            messages.error(request, "The survey is not open yet: it is sent when onboarding "
                           "is complete.")
            return redirect("onboarding:survey", contract.pk)
        form = SurveyForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            with refused_as_message(request) as refusal:
                service.answer_survey(
                    user, sent, satisfaction=data["satisfaction"],
                    went_well=data["went_well"], to_improve=data["to_improve"],
                )
            if refusal:
                return redirect("onboarding:survey", contract.pk)
            messages.success(request, "Thank you: your answers went to the onboarding team.")
            return redirect("onboarding:survey", contract.pk)
        status = 400
    return render(request, "onboarding/package/survey.html", {
        "contract": contract, "survey": sent, "form": form,
    }, status=status)


def survey_results(request):
    user = request.user
    if not (permissions.sees_every_contract(user)
            and permissions.team_roles(user) & permissions.RULES[Action.VIEW_SURVEY]):
        raise PermissionDenied("Only the onboarding team, its lead and administrators see the "
                               "survey results.")
    return render(request, "onboarding/package/survey_results.html", {
        "summary": service.survey_summary(),
    })
