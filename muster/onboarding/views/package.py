"""The welcome package (list, page, print view, PDF, send), touch-point calls and the
post-onboarding survey. Thin: parse, authorize (accounts.permissions), call one service
(POSTs through `muster.actions`), render or redirect."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.csp import CSP, build_policy
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from muster.accounts import permissions
from muster.accounts.permissions import Action
from muster.actions import act, refused_as_message
from muster.contracts.models import Contract
from muster.security import allowing_its_own_styles
from muster.uploads import pdf_download

from .. import package as service
from .. import queries
from ..forms.package import CallForm, SurveyForm
from ..models import CallDocument, SurveyResponse, WelcomePackage

# --- The welcome package ---------------------------------------------------------------


def packages(request, pk):
    contract = permissions.contract_for(request.user, pk, Action.VIEW_WELCOME)
    return render(request, "onboarding/package/list.html", {
        "contract": contract,
        "packages": list(contract.welcome_packages.select_related("sent_by")),
        "blockers": queries.send_blockers(contract),
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
        # Recorded now; the worker makes the PDF and sends it after the commit.
        package = service.request_welcome_package(request.user, contract, kind=kind)
    if refusal:
        return redirect("onboarding:packages", contract.pk)
    messages.success(
        request,
        f"{package.get_kind_display()} version {package.version} is being prepared: Muster "
        f"makes its PDF and emails it to {', '.join(package.sent_to)} in a moment. This "
        "page shows when it is sent.",
    )
    return redirect("onboarding:packages", contract.pk)


@require_POST
def retry_package(request, pk, version):
    contract = permissions.contract_for(request.user, pk, Action.SEND_WELCOME)
    package = get_object_or_404(WelcomePackage, contract=contract, version=version)
    with refused_as_message(request, "Nothing was changed. ") as refusal:
        package = service.retry_package(request.user, package)
    if not refusal:
        messages.success(request, f"Version {package.version} is being prepared again.")
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
        "body": mark_safe(queries.package_body(package)),  # noqa: S308
    })


def package_print(request, pk, version):
    _, package = _package(request, pk, version)
    response = HttpResponse(package.html, content_type="text/html; charset=utf-8")
    # The document exactly as sent, its own <style> included: allowed by its hash (the
    # middleware leaves a policy the view set).
    policy = allowing_its_own_styles(settings.SECURE_CSP, package.html)
    response.headers[str(CSP.HEADER_ENFORCE)] = build_policy(policy)  # a plain str for WSGI
    return response


def package_pdf(request, pk, version):
    contract, package = _package(request, pk, version)
    return pdf_download(
        package.pdf, f"welcome-package-{contract.contract_number}-v{package.version}.pdf",
        "The PDF of this version is missing.")


# --- Touch-point calls -----------------------------------------------------------------


def _calls_page(request, contract, form):
    archived = contract.calls.select_related("recorded_by").prefetch_related("documents")
    return render(request, "onboarding/package/calls.html", {
        "contract": contract, "calls": archived, "form": form,
    })


def _archived(call) -> str:
    count = call.documents.count()
    return (f"The call of {call.held_on:%B %-d, %Y} is archived"
            + (f" with {count} document{'s' if count != 1 else ''}." if count else "."))


def calls(request, pk):
    user = request.user
    contract = permissions.contract_for(user, pk, Action.VIEW_CONTRACT)
    if request.method != "POST":
        return _calls_page(request, contract, CallForm())
    if not permissions.can(user, Action.RECORD_CALL, contract):
        raise PermissionDenied("Your role on this contract does not allow recording calls.")
    return act(
        request, form=CallForm(request.POST, request.FILES),
        invalid=lambda form: _calls_page(request, contract, form),
        call=lambda data: service.record_call(
            user, contract, held_on=data["held_on"], topics=data["topics"],
            outcome=data["outcome"], notes=data["notes"], documents=data["documents"],
        ),
        done=_archived, then=reverse("onboarding:calls", args=[contract.pk]),
    )


def call_document(request, pk, call_pk, doc_pk):
    contract = permissions.contract_for(request.user, pk, Action.VIEW_CONTRACT)
    document = get_object_or_404(CallDocument, pk=doc_pk, call_id=call_pk,
                                 call__contract=contract)
    return pdf_download(document.file, document.name, "This document is missing.")


# --- The post-onboarding survey --------------------------------------------------------


def survey(request, pk):
    user = request.user
    contract = permissions.contract_for(user, pk, Action.ANSWER_SURVEY)
    sent = SurveyResponse.objects.filter(contract=contract).first()

    def page(form):
        return render(request, "onboarding/package/survey.html", {
            "contract": contract, "survey": sent, "form": form,
        })

    if request.method != "POST":
        return page(SurveyForm())
    if sent is None:
        messages.error(request, "The survey is not open yet: it is sent when onboarding "
                       "is complete.")
        return redirect("onboarding:survey", contract.pk)
    return act(
        request, form=SurveyForm(request.POST), invalid=page,
        call=lambda data: service.answer_survey(
            user, sent, satisfaction=data["satisfaction"], went_well=data["went_well"],
            to_improve=data["to_improve"],
        ),
        done="Thank you: your answers went to the onboarding team.",
        then=reverse("onboarding:survey", args=[contract.pk]),
    )


def survey_results(request):
    if not permissions.may_see_surveys(request.user):
        raise PermissionDenied("Only the onboarding team, its lead and administrators see the "
                               "survey results.")
    return render(request, "onboarding/package/survey_results.html", {
        "summary": queries.survey_summary(),
    })
