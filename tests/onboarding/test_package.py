"""The welcome package through HTTP: the onboarding team sends it (a new version each time),
the SO gets it by email with a tagged PDF, and the contract's people read every version as
a page, a print view and a PDF. Everyone else is refused."""

import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from muster.accounts.models import ContractRole
from muster.audit.models import AuditEvent
from muster.catalog.models import Service
from muster.contracts.models import ContractService, Stage
from muster.notifications.delivery import deliver_due
from muster.onboarding.models import OnboardingRequest, Status, SurveyResponse, WelcomePackage
from muster.onboarding.package import prepare_due
from tests.pages import html_of

from ..factories import request_service, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(approved):
    """The shared `approved` (tests/onboarding/conftest.py) with every service decided:
    SAS Viya and Confluence approved, PECOS denied."""
    mine = approved["mine"]
    request_service(mine, "confluence", ContractService.Status.APPROVED)
    request_service(mine, "pecos", ContractService.Status.DENIED)
    return approved


def send(client, people, **data):
    """The team sends, then the worker takes its turn: the request only records the
    version (test_package_worker.py); the worker makes the PDF and queues the email."""
    signed_in(client, people["onboarding_team"])
    response = client.post(reverse("onboarding:send_package", args=[people["mine"].pk]), data)
    prepare_due()
    return response


def url(name, people, *args):
    return reverse(f"onboarding:{name}", args=[people["mine"].pk, *args])


def streamed(response) -> bytes:
    return b"".join(response.streaming_content)


def step_done(contract, key) -> bool:
    return contract.steps.get(key=key).completed_at is not None


def actions(contract) -> list[str]:
    return list(AuditEvent.objects.filter(contract=contract).values_list("action", flat=True))


# --- Sending ----------------------------------------------------------------------------


def test_sending_emails_the_so_the_pdf_and_completes_onboarding(client, approved, mailoutbox):
    people, mine = approved, approved["mine"]
    response = send(client, people)
    assert response.status_code == 302
    assert response.url == url("packages", people)
    page = html_of(client.get(response.url))
    assert "Welcome package version 1 is being prepared" in page
    assert "Muster makes its PDF and emails it to" in page
    assert people["so"].email in page

    deliver_due()
    welcome = [m for m in mailoutbox if m.subject.startswith("Welcome package")]
    assert len(welcome) == 1
    email = welcome[0]
    assert email.subject == "Welcome package: Mine"
    assert email.to == [people["so"].email]
    assert email.cc == [people["spoc"].email]
    assert "SAS Viya" in email.body and "CONFL_User" in email.body
    assert url("package", people, 1) in email.body
    (name, content, mimetype), = email.attachments
    assert name == "welcome-package-v1.pdf"
    assert mimetype == "application/pdf"
    assert content.startswith(b"%PDF")

    # Onboarding is complete: the request, the contract's stage, the timeline.
    assert OnboardingRequest.objects.get(contract=mine).status == Status.COMPLETE
    mine.refresh_from_db()
    assert mine.stage == Stage.ACTIVE
    assert step_done(mine, "complete-onboarding")
    detail = html_of(client.get(mine.get_absolute_url()))
    assert "Welcome package v1 sent to the SO." in detail

    # The survey went to the SO and the POC, with its link.
    survey, = [m for m in mailoutbox if m.subject.startswith("How did onboarding go?")]
    assert sorted(survey.to) == sorted([people["so"].email, people["poc"].email])
    assert reverse("onboarding:survey", args=[mine.pk]) in survey.body
    assert SurveyResponse.objects.filter(contract=mine, answered_at__isnull=True).exists()

    done = actions(mine)
    for action in ("onboarding.welcome_package_sent", "onboarding.complete",
                   "contract.activate", "onboarding.survey_sent"):
        assert action in done, action
    event = AuditEvent.objects.get(contract=mine, action="onboarding.welcome_package_sent")
    assert event.actor == people["onboarding_team"]
    assert event.after == {"version": 1, "services": ["SAS Viya", "Confluence"]}


def test_the_pdf_is_tagged_and_lists_the_approved_services_only(client, approved):
    send(client, approved)
    signed_in(client, approved["so"])
    response = client.get(url("package_pdf", approved, 1))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    number = approved["mine"].contract_number
    assert response["Content-Disposition"] == (
        f'attachment; filename="welcome-package-{number}-v1.pdf"'
    )
    data = streamed(response)
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    catalog = reader.trailer["/Root"]
    assert "/StructTreeRoot" in catalog
    assert catalog["/MarkInfo"]["/Marked"].value is True
    assert str(catalog["/Lang"]) == "en"
    assert reader.metadata.title == "Welcome package: Mine (version 1)"
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "SAS Viya" in text and "Confluence" in text
    assert "PECOS" not in text  # denied
    assert "CONFL_User" in text
    assert "Your responsibilities as Security Official" in text
    assert "How to onboard your users" in text


def test_the_page_shows_the_package_exactly_as_sent(client, approved):
    send(client, approved)
    # The catalog changes after sending: version 1 still says what was sent.
    Service.objects.filter(slug="sas-viya").update(description="Rewritten later.")
    Service.objects.filter(slug="pecos").update(name="PECOS renamed")
    signed_in(client, approved["spoc"])
    page = html_of(client.get(url("package", approved, 1)))
    assert page.count("<h1") == 1
    assert "<h1>Welcome package: Mine</h1>" in page
    assert "Analytics platform for CMS data" in page
    assert "Rewritten later." not in page
    assert "Each user needs the EUA job code CONFL_User." in page
    assert "Needs a valid Data Use Agreement (DUA)" in page
    assert "Your responsibilities as Security Official" in page
    assert "How to onboard your users" in page
    for person in ("so", "spoc", "cor"):
        assert approved[person].full_name in page
    assert "PECOS" not in page
    assert "Version 1, sent" in page
    assert 'class="usa-header' in page  # inside the site layout
    assert url("package_print", approved, 1) in page
    assert url("package_pdf", approved, 1) in page
    package = WelcomePackage.objects.get(contract=approved["mine"], version=1)
    body = re.search(r"<body>(.*)</body>", package.html, re.DOTALL).group(1).strip()
    assert body in page


def test_the_print_view_is_the_standalone_document(client, approved):
    send(client, approved)
    signed_in(client, approved["cor"])
    response = client.get(url("package_print", approved, 1))
    page = html_of(response)
    assert response["Content-Type"].startswith("text/html")
    assert page == WelcomePackage.objects.get(contract=approved["mine"]).html
    assert '<html lang="en">' in page
    assert "<title>Welcome package: Mine (version 1)</title>" in page
    assert "size: letter" in page and "DejaVu Sans" in page
    assert "usa-header" not in page and "Sign out" not in page


def test_the_print_view_allows_its_own_styles_and_nothing_else_inline(client, approved):
    """The stored document keeps its <style> (WeasyPrint reads it too): the print view's
    Content Security Policy allows exactly those styles, by their hashes."""
    import base64
    import hashlib

    send(client, approved)
    signed_in(client, approved["cor"])
    response = client.get(url("package_print", approved, 1))

    css = re.search(r"<style>(.*?)</style>", html_of(response), re.DOTALL).group(1)
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    policy = response["Content-Security-Policy"]
    assert f"style-src 'self' 'sha256-{digest}'" in policy
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def test_a_resend_is_version_2_and_every_version_stays(client, approved, mailoutbox):
    send(client, approved)
    response = send(client, approved, kind="initial")
    assert response.status_code == 302
    assert "Welcome package version 2 is being prepared" in html_of(client.get(response.url))
    assert list(WelcomePackage.objects.filter(contract=approved["mine"])
                .values_list("version", flat=True)) == [2, 1]

    signed_in(client, approved["so"])
    listing = html_of(client.get(url("packages", approved)))
    assert "Version 2" in listing and "Version 1" in listing
    assert listing.index("Version 2") < listing.index("Version 1")  # newest first
    for version in (1, 2):
        assert url("package_pdf", approved, version) in listing
        response = client.get(url("package_pdf", approved, version))
        assert response.status_code == 200
        assert streamed(response).startswith(b"%PDF")
        assert f"Version {version}, sent" in html_of(client.get(url("package", approved,
                                                                    version)))

    deliver_due()
    welcome = [m for m in mailoutbox if m.subject.startswith("Welcome package")]
    assert [m.attachments[0].filename for m in welcome] == [
        "welcome-package-v1.pdf", "welcome-package-v2.pdf"]
    # Onboarding completed once: one survey, one completion.
    assert len([m for m in mailoutbox if m.subject.startswith("How did")]) == 1
    assert actions(approved["mine"]).count("onboarding.welcome_package_sent") == 2
    assert actions(approved["mine"]).count("onboarding.complete") == 1


def test_an_addendum_is_titled_as_one(client, approved, mailoutbox):
    send(client, approved)
    send(client, approved, kind="addendum")
    signed_in(client, approved["so"])
    page = html_of(client.get(url("package", approved, 2)))
    assert "<h1>Welcome package addendum: Mine</h1>" in page
    listing = html_of(client.get(url("packages", approved)))
    assert "Addendum (additional service)" in listing
    deliver_due()
    assert "Welcome package: Mine (addendum)" in [m.subject for m in mailoutbox]


def test_the_team_sees_the_send_form_and_the_cor_only_the_versions(client, approved):
    signed_in(client, approved["onboarding_team"])
    page = html_of(client.get(url("packages", approved)))
    assert "No welcome package has been sent for this contract yet." in page
    assert url("send_package", approved) in page
    assert "Send the welcome package" in page
    signed_in(client, approved["cor"])
    page = html_of(client.get(url("packages", approved)))
    assert url("send_package", approved) not in page


@pytest.mark.parametrize("role", ["cor", "poc", "so", "spoc", "team_lead", "administrator"])
def test_only_the_onboarding_team_sends(client, approved, role, mailoutbox):
    signed_in(client, approved[role])
    response = client.post(url("send_package", approved))
    assert response.status_code == 403
    assert not WelcomePackage.objects.exists()
    assert OnboardingRequest.objects.get(contract=approved["mine"]).status == Status.APPROVED
    deliver_due()
    assert mailoutbox == []


def test_sending_is_post_only(client, approved):
    signed_in(client, approved["onboarding_team"])
    assert client.get(url("send_package", approved)).status_code == 405
    assert not WelcomePackage.objects.exists()


@pytest.mark.parametrize("who", ["outsider", "other_cor", "contractor_user"])
def test_people_off_the_contract_get_404(client, approved, who):
    send(client, approved)
    signed_in(client, approved[who])
    for name, args in [("packages", ()), ("package", (1,)), ("package_print", (1,)),
                       ("package_pdf", (1,))]:
        assert client.get(url(name, approved, *args)).status_code == 404, name
    assert client.post(url("send_package", approved)).status_code == 404
    assert WelcomePackage.objects.count() == 1


def test_a_service_lead_sees_the_contract_but_not_its_package(client, approved):
    send(client, approved)
    signed_in(client, approved["sas_lead"])
    assert client.get(approved["mine"].get_absolute_url()).status_code == 200
    for name, args in [("packages", ()), ("package", (1,)), ("package_pdf", (1,))]:
        assert client.get(url(name, approved, *args)).status_code == 403, name


def test_an_unknown_version_is_404(client, approved):
    send(client, approved)
    for name in ("package", "package_print", "package_pdf"):
        assert client.get(url(name, approved, 7)).status_code == 404


def test_another_contracts_version_is_404(client, approved):
    send(client, approved)
    other = approved["other"]
    signed_in(client, approved["onboarding_team"])
    assert client.get(reverse("onboarding:package", args=[other.pk, 1])).status_code == 404


def no_request(people):
    OnboardingRequest.objects.filter(contract=people["mine"]).update(
        status=Status.SERVICE_REVIEW)
    return "The onboarding request is not approved yet"


def no_approved_service(people):
    people["mine"].services.update(status=ContractService.Status.DENIED)
    return "No service is approved for this contract."


def no_so(people):
    people["mine"].roles.filter(role=ContractRole.Role.SO).delete()
    return "No Security Official (SO) is named"


@pytest.mark.parametrize("block", [no_request, no_approved_service, no_so])
def test_the_page_explains_why_it_cannot_be_sent_yet(client, approved, block, mailoutbox):
    reason = block(approved)
    signed_in(client, approved["onboarding_team"])
    page = html_of(client.get(url("packages", approved)))
    assert "The welcome package cannot be sent yet" in page
    assert reason in page
    assert 'type="submit">Send' not in page

    response = send(client, approved)
    assert response.status_code == 302
    page = html_of(client.get(response.url))
    assert "The welcome package was not sent." in page
    assert not WelcomePackage.objects.exists()
    assert "onboarding.welcome_package_sent" not in actions(approved["mine"])
    deliver_due()
    assert mailoutbox == []


def test_an_unknown_kind_is_refused(client, approved):
    response = send(client, approved, kind="bogus")
    assert response.status_code == 302
    assert "Choose what to send" in html_of(client.get(response.url))
    assert not WelcomePackage.objects.exists()


def test_the_request_records_when_onboarding_completed(client, approved):
    send(client, approved)
    request = OnboardingRequest.objects.get(contract=approved["mine"])
    assert request.status == Status.COMPLETE
    assert request.completed_at is not None
