"""The welcome package: one template for the page, the print view and the tagged PDF; every
sent version is kept. Also the touch-point calls and the post-onboarding survey."""

import logging

from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Max, Min, Q
from django.tasks import task
from django.template.loader import render_to_string

from muster import after_commit, clock, workflow
from muster.accounts.models import ContractRole
from muster.accounts.permissions import Action
from muster.audit import services as audit
from muster.catalog.models import HelpContact
from muster.contracts import services as contracts
from muster.contracts.models import Contract, ContractService, Stage
from muster.notifications import delivery, schedule
from muster.notifications import services as mail

from .errors import OnboardingError
from .evidence import complete_evidence
from .models import (
    CallDocument,
    OnboardingRequest,
    Status,
    SurveyResponse,
    TouchPointCall,
    WelcomePackage,
)

log = logging.getLogger(__name__)

SO_RESPONSIBILITIES = [
    "Onboard the contractor's users into the approved services only, and remove a user's "
    "access as soon as they no longer need it.",
    "Make sure every user has a HARP ID, and the EUA job code a service needs.",
    "Keep the Data Use Agreement current for services that need one: access to them pauses "
    "the day it lapses.",
    "Keep the roster accurate, and tell the onboarding team and the COR when the SO or SPOC "
    "changes.",
    "Respond to the closeout notice 60 days before the period of performance ends.",
]
ONBOARDING_INSTRUCTIONS = [
    "Sign in to Muster and open the contract's roster.",
    "Add each user with their name, email and HARP ID, one at a time or from a CSV file.",
    "Grant each user only the approved services their work needs.",
    "For a service that needs an EUA job code, make sure the user requests it in EUA.",
    "For a service that needs a Data Use Agreement, check the DUA is valid first.",
]


def approved_services(contract: Contract) -> list[dict]:
    return [
        {"name": i.service.name, "description": i.service.description,
         "eua_job_code": i.service.eua_job_code, "requires_dua": i.service.requires_dua}
        for i in contract.services.filter(status=ContractService.Status.APPROVED)
        .select_related("service")
    ]


def package_context(contract: Contract, *, version: int, kind: str, services: list[dict],
                    sent_at=None) -> dict:
    parties = {r.role: r.user for r in contract.roles.select_related("user")}
    return {
        "contract": contract, "version": version, "kind": kind,
        "is_addendum": kind == WelcomePackage.Kind.ADDENDUM,
        "services": services, "so": parties.get(ContractRole.Role.SO),
        "spoc": parties.get(ContractRole.Role.SPOC), "cor": parties.get(ContractRole.Role.COR),
        "responsibilities": SO_RESPONSIBILITIES, "instructions": ONBOARDING_INSTRUCTIONS,
        "help_contacts": list(HelpContact.objects.all()), "sent_at": sent_at or clock.now(),
    }


def render_html(context: dict) -> str:
    return render_to_string("onboarding/welcome_package_document.html", context)


def render_pdf(html: str) -> bytes:
    """A tagged PDF (PDF/UA-1: structure tree, language, title) from the package's HTML."""
    # WeasyPrint (outside Muster, so no part of its import graph) takes over a second of
    # CPU to import: loaded when a package is first rendered, not by every process.
    from weasyprint import HTML

    return HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")


def _record(actor, contract: Contract, kind: str, *, on_approval: bool) -> WelcomePackage:
    """The new version, its HTML fixed now (what the person saw approved is what is sent),
    waiting for its PDF. Inside the caller's transaction, the contract locked."""
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if not on_approval:
        workflow.require(actor, Action.SEND_WELCOME, contract)
    request = OnboardingRequest.objects.filter(contract=contract).first()
    if kind == WelcomePackage.Kind.INITIAL and (
        request is None or request.status not in (Status.APPROVED, Status.COMPLETE)
    ):
        raise OnboardingError("Send the welcome package once every service is decided.")
    services = approved_services(contract)
    if not services:
        raise OnboardingError("No service is approved: there is nothing to welcome them to.")
    so = workflow.people_with_roles(contract, ContractRole.Role.SO)
    spoc = workflow.people_with_roles(contract, ContractRole.Role.SPOC)
    if not so:
        raise OnboardingError("Name the SO first: the package goes to them.")
    version = (contract.welcome_packages.aggregate(v=Max("version"))["v"] or 0) + 1
    now = clock.now()
    html = render_html(package_context(contract, version=version, kind=kind, services=services,
                                       sent_at=now))
    return WelcomePackage.objects.create(
        contract=contract, version=version, kind=kind, services=services, html=html,
        sent_by=actor, requested_at=now, sent_at=None, state=WelcomePackage.State.PREPARING,
        next_attempt_at=now, sent_to=[u.email for u in so + spoc],
    )


@transaction.atomic
def request_welcome_package(actor, contract: Contract,
                            kind: str = WelcomePackage.Kind.INITIAL, *,
                            on_approval: bool = False) -> WelcomePackage:
    """A person sends the package (or a new version of it) to the SO, copying the SPOC:
    the version is recorded now, "preparing"; after the commit the worker makes its PDF
    and sends it (`prepare_due`), so no request waits for WeasyPrint.

    The onboarding team sends it; `on_approval=True` is for a caller whose own guarded
    action (a service lead approving an additional service) is what sends the addendum.
    """
    package = _record(actor, contract, kind, on_approval=on_approval)
    audit.record(actor, "onboarding.welcome_package_requested", package,
                 f"Asked for {package.get_kind_display().lower()} version {package.version} "
                 "to be sent to the SO: its PDF is being prepared",
                 contract=package.contract,
                 after={"version": package.version,
                        "services": [s["name"] for s in package.services]})
    _kick_after_commit()
    return package


@transaction.atomic
def send_welcome_package(actor, contract: Contract,
                         kind: str = WelcomePackage.Kind.INITIAL, *,
                         on_approval: bool = False) -> WelcomePackage:
    """Send the package now, its PDF rendered here (the demo, commands and tests: not a
    person's request, which uses `request_welcome_package`)."""
    package = _record(actor, contract, kind, on_approval=on_approval)
    _finish(package, render_pdf(package.html))
    return package


def _finish(package: WelcomePackage, pdf: bytes) -> None:
    """The package is sent: its PDF stored, its email queued (the outbox delivers it at
    least once), and, for the first one, onboarding completed, all in the caller's
    transaction, by the person who sent it."""
    actor = package.sent_by
    contract = Contract.objects.select_for_update().get(pk=package.contract_id)
    so = workflow.people_with_roles(contract, ContractRole.Role.SO)
    spoc = workflow.people_with_roles(contract, ContractRole.Role.SPOC)
    if not so:
        raise OnboardingError("No SO is named any more: the package goes to them.")
    version, now = package.version, clock.now()
    package.pdf.save(f"welcome-v{version}.pdf", ContentFile(pdf), save=False)
    package.state, package.sent_at = WelcomePackage.State.SENT, now
    package.next_attempt_at, package.last_error = None, ""
    package.sent_to = [u.email for u in so + spoc]
    package.save()
    audit.record(actor, "onboarding.welcome_package_sent", package,
                 f"Sent {package.get_kind_display().lower()} version {version} to the SO",
                 contract=contract,
                 after={"version": version, "services": [s["name"] for s in package.services]})
    mail.queue(
        "welcome_package", to=so, cc=spoc,
        contract=contract, key=f"welcome:{contract.pk}:v{version}",
        context={"package": package},
        attachments=[{"name": f"welcome-package-v{version}.pdf", "path": package.pdf.name,
                      "mimetype": "application/pdf"}],
    )
    request = OnboardingRequest.objects.filter(contract=contract).first()
    if request is not None and request.status == Status.APPROVED:
        request = workflow.locked(request, related=["contract"])
        request.completed_at = now
        workflow.transition(
            actor, request, request.complete, "Onboarding complete",
            event="onboarding.complete", contract=request.contract,
            refused=OnboardingError(f"A request that is “{request.get_status_display()}” "
                                    "cannot be completed. Nothing was changed."),
        )
        complete_evidence(actor, contract, "complete-onboarding",
                          f"Welcome package v{version} sent to the SO.")
        if contract.stage == Stage.ONBOARDING:
            contracts.change_stage(actor, contract, Contract.activate)
        send_survey(actor, contract)


def finish_now(package: WelcomePackage) -> None:
    """Make the PDF of a package that waits for it and send it now, in the caller's
    transaction (the demo loader: not a person's request)."""
    package = WelcomePackage.objects.select_for_update().get(pk=package.pk)
    if package.state == WelcomePackage.State.PREPARING:
        _finish(package, render_pdf(package.html))


# --- The worker's side: packages waiting for their PDF ------------------------------------


def _due(now) -> Q:
    return Q(state=WelcomePackage.State.PREPARING, next_attempt_at__lte=now)


def _start_attempt(now) -> WelcomePackage | None:
    """Take the next due package and count the attempt, in a commit of its own: its next
    attempt is set at once (the outbox's backoff, a minute at least), so no other worker
    takes it while this one renders, and a package that kills the worker that renders it
    ends "failed" after MAX_ATTEMPTS instead of looping."""
    with transaction.atomic(durable=True):
        rows = WelcomePackage.objects.filter(_due(now)).order_by("next_attempt_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        package = rows.first()
        if package is None:
            return None
        package.attempts += 1
        package.next_attempt_at = now + delivery.backoff(package.attempts)
        package.save(update_fields=["attempts", "next_attempt_at"])
        return package


def _prepare(started: WelcomePackage) -> str:
    with transaction.atomic(durable=True):
        package = (WelcomePackage.objects.select_for_update()
                   .filter(pk=started.pk, state=WelcomePackage.State.PREPARING,
                           attempts=started.attempts).first())
        if package is None:  # another worker took it over after a crash of this one
            return "skipped"
        try:
            with transaction.atomic():
                _finish(package, render_pdf(package.html))
            return "sent"
        except Exception as error:  # any failure: the package waits, nothing is lost
            gave_up = package.attempts >= delivery.MAX_ATTEMPTS
            WelcomePackage.objects.filter(pk=package.pk).update(
                state=WelcomePackage.State.FAILED if gave_up else WelcomePackage.State.PREPARING,
                last_error=f"{type(error).__name__}: {error}"[:2000],
            )
            log.warning("Welcome package %s not sent (attempt %s): %s", package.pk,
                        package.attempts, type(error).__name__, exc_info=True)
            return "failed" if gave_up else "retrying"


def prepare_due(limit: int = 100) -> dict:
    """Make the PDF of each package due and send it, one at a time, each in its own
    transaction; a failure waits with the outbox's backoff (1, 2, 4... minutes) and gives
    up after MAX_ATTEMPTS (then "failed", shown to the team, who can try again). The
    worker runs this from `prepare_welcome_packages`; tests call it directly."""
    report = {"sent": 0, "retrying": 0, "failed": 0, "skipped": 0}
    for _ in range(limit):
        package = _start_attempt(clock.now())
        if package is None:
            break
        report[_prepare(package)] += 1
    return report


def next_attempt_at():
    return (WelcomePackage.objects.filter(state=WelcomePackage.State.PREPARING)
            .aggregate(at=Min("next_attempt_at"))["at"])


@task
def prepare_welcome_packages() -> dict:
    """Send the packages waiting for their PDF; come back when the next retry is due."""
    report = prepare_due()
    keep_preparation_scheduled()
    return report


def keep_preparation_scheduled() -> None:
    """A run by the time the first waiting package is due (a retry, or one whose kick was
    lost): the worker's keeper, at its start and every heartbeat."""
    at = next_attempt_at()
    if at is not None:
        schedule.run_by(prepare_welcome_packages, at)


def kick_preparation():
    """Enqueue a run now (after the commit that recorded a package)."""
    try:
        return prepare_welcome_packages.enqueue()
    except Exception:  # the worker's keeper runs it within a heartbeat
        log.exception("Could not enqueue the welcome package's preparation")
        return None


def _kick_after_commit() -> None:
    after_commit.once(kick_preparation)


@transaction.atomic
def retry_package(actor, package: WelcomePackage) -> WelcomePackage:
    """The team asks for a package Muster gave up on to be tried again (now, with a fresh
    count); one that is not failed is left as it is."""
    package = WelcomePackage.objects.select_for_update().get(pk=package.pk)
    workflow.require(actor, Action.SEND_WELCOME, package.contract)
    if package.state != WelcomePackage.State.FAILED:
        return package
    package.state, package.attempts = WelcomePackage.State.PREPARING, 0
    package.next_attempt_at = clock.now()
    package.save(update_fields=["state", "attempts", "next_attempt_at"])
    audit.record(actor, "onboarding.welcome_package_retry", package,
                 f"Asked to try version {package.version} of the welcome package again",
                 contract=package.contract, before={"error": package.last_error})
    _kick_after_commit()
    return package


def send_survey(actor, contract: Contract) -> SurveyResponse:
    survey, created = SurveyResponse.objects.get_or_create(contract=contract)
    if created:
        audit.record(actor, "onboarding.survey_sent", survey, "Sent the post-onboarding survey",
                     contract=contract)
        mail.queue(
            "survey_invitation",
            to=workflow.people_with_roles(contract, ContractRole.Role.SO, ContractRole.Role.POC),
            contract=contract, key=f"survey:{contract.pk}", context={"survey": survey},
        )
    return survey


@transaction.atomic
def answer_survey(actor, survey: SurveyResponse, *, satisfaction: int, went_well: str,
                  to_improve: str) -> SurveyResponse:
    survey = SurveyResponse.objects.select_for_update().get(pk=survey.pk)
    contract = survey.contract
    workflow.require(actor, Action.ANSWER_SURVEY, contract)
    if survey.answered_at is not None:
        raise OnboardingError("The survey was already answered. Thank you!")
    survey.satisfaction, survey.went_well, survey.to_improve = (
        satisfaction, went_well.strip(), to_improve.strip())
    survey.answered_by, survey.answered_at = actor, clock.now()
    survey.save()
    audit.record(actor, "onboarding.survey_answered", survey, "Answered the survey",
                 contract=contract, after={"satisfaction": satisfaction})
    complete_evidence(actor, contract, "post-onboarding-survey", "Survey answered.")
    mail.queue("survey_answered", to=workflow.team_emails(), contract=contract,
               key=f"survey-answered:{survey.pk}", context={"survey": survey})
    return survey


@transaction.atomic
def record_call(actor, contract: Contract, *, held_on, topics: list[str], outcome: str,
                notes: str = "", documents=()) -> TouchPointCall:
    workflow.require(actor, Action.RECORD_CALL, contract)
    call = TouchPointCall.objects.create(
        contract=contract, held_on=held_on, topics=list(topics), outcome=outcome.strip(),
        notes=notes.strip(), recorded_by=actor, recorded_at=clock.now(),
    )
    for upload in documents:
        doc = CallDocument(call=call, name=upload.name[:200])
        doc.file.save(upload.name, upload, save=False)
        doc.save()
    audit.record(actor, "onboarding.call_recorded", call,
                 f"Recorded the touch-point call of {held_on:%Y-%m-%d}", contract=contract,
                 after={"topics": call.topics, "outcome": call.outcome,
                        "documents": [d.name for d in call.documents.all()]})
    complete_evidence(actor, contract, "touch-point-calls",
                      f"Call of {held_on:%Y-%m-%d} archived.")
    return call
