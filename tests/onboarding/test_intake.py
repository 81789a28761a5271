"""The intake wizard through HTTP, as the COR, the contractor's POC and the onboarding team:
the overview, each screen's validation, drafts, the DUA upload, review and submission, and
who may edit after submission."""

import datetime
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfWriter

from muster.audit.models import AuditEvent
from muster.catalog.models import Service
from muster.contracts import services as contract_services
from muster.contracts.models import Contract, DataUseAgreement, Stage
from muster.notifications.delivery import deliver_due
from muster.onboarding.models import OnboardingRequest

from ..factories import TODAY, make_contract, pdf_upload, request_service, signed_in
from .test_notices import check_page, messages_of, text_of

pytestmark = pytest.mark.django_db
D = datetime.date
AWARD = "2026-11-23"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def today(freeze_today):
    return freeze_today(TODAY)


def url(name, contract, *args):
    return reverse(f"onboarding:{name}", args=[contract.pk, *args])


def screen_url(contract, slug):
    return url("intake_screen", contract, slug)


@pytest.fixture
def mine(client, people):
    """`mine`, awarded by its COR through the award page (which starts the intake draft);
    the COR is signed in."""
    signed_in(client, people["cor"])
    response = client.post(url("award", people["mine"]), {"award_date": AWARD})
    assert response.status_code == 302
    people["mine"].refresh_from_db()
    return people["mine"]


def sas():
    return Service.objects.get(slug="sas-viya")


def padded_pdf(padding: int) -> bytes:
    """A PDF made large by bulk in its document information, which muster/uploads.py
    accepts under the size cap (factories.pdf_bytes pads with an attachment, refused)."""
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    writer.add_metadata({"/Padding": "x" * padding})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def answers(people, contract) -> dict[str, dict]:
    """Valid answers for every screen of `mine`."""
    svc = f"svc_{sas().pk}"
    return {
        "contract": {
            "name": "Mine", "contract_number": contract.contract_number,
            "task_order_number": "TO-7", "pop_start": "2026-12-01", "pop_end": "2027-11-30",
        },
        "organization": {"name": "Acme Analytics LLC", "harp_name": "ACME ANALYTICS"},
        "parties": {
            "cor_phone": "202-555-0100",
            "poc_name": "Pat POC", "poc_email": people["poc"].email, "poc_phone": "410-555-0101",
            "so_name": "Sam Secure", "so_email": "sam.secure@acme.example",
            "so_phone": "410-555-0102", "so_harp_id": "SAM.SECURE-1", "so_eua_check": "initiated",
            "spoc_name": "Spike SPOC", "spoc_email": people["spoc"].email,
            "spoc_phone": "(410) 555-0103", "spoc_harp_id": people["spoc"].harp_id,
            "spoc_eua_check": "in_progress",
        },
        "work": {"type_of_work": "Statistical analysis of quality reporting data for CMS."},
        "services": {f"{svc}_selected": "on", f"{svc}_users": "5",
                     f"{svc}_justification": "Analysts model readmission measures."},
        "dua": {"number": "DUA-2026-0042", "effective_date": "2026-11-01",
                "expiry_date": "2027-12-31"},
    }


def fill(client, contract, slug, data, **extra):
    data = {**data, **extra}
    if slug == "dua" and "document" not in data:
        data["document"] = pdf_upload()
    return client.post(screen_url(contract, slug), data)


def fill_everything(client, people, contract):
    for slug, data in answers(people, contract).items():
        response = fill(client, contract, slug, data)
        assert response.status_code == 302, (slug, text_of(response)[:3000])


# --- The overview --------------------------------------------------------------------------


def test_the_overview_lists_each_screen_with_what_is_missing(client, people, mine):
    response = client.get(url("intake", mine))
    assert response.status_code == 200
    check_page(response)
    body = text_of(response)
    assert "Contract and period of performance ✓ Done" in body
    assert "Organization Missing: the organization and its HARP name" in body
    assert "Type of work Missing: the type of work" in body
    assert ("Services required Missing: the estimated users and justification for SAS Viya"
            in body)
    assert "Data Use Agreement Missing: the signed DUA" in body
    # The button goes to the first screen with something missing.
    assert re.search(rf'<a class="usa-button" href="{screen_url(mine, "organization")}">'
                     r"Continue: Organization</a>", response.content.decode())


def older_contract(people, name="Older"):
    """An awarded contract with no onboarding request (awarded before Muster started the
    request at the award); `mine`'s people hold their roles on it."""
    contract = contract_services.change_stage(None, make_contract(name=name), Contract.award)
    for role in ("cor", "poc", "so"):
        contract_services.assign_role(None, contract, people[role], role)
    return contract


def test_opening_the_overview_changes_nothing_and_the_cor_starts_it_with_a_button(client,
                                                                                  people):
    contract = older_contract(people)
    signed_in(client, people["cor"])
    page = client.get(reverse("contracts:detail", args=[contract.pk]))
    assert "Fill in the intake form" in text_of(page)
    events = AuditEvent.objects.count()
    for visit in (client.get, client.head):
        response = visit(url("intake", contract))
        assert response.status_code == 200
    assert not OnboardingRequest.objects.filter(contract=contract).exists()
    assert AuditEvent.objects.count() == events
    overview = client.get(url("intake", contract))
    check_page(overview)
    html = overview.content.decode()
    assert re.search(r'<form method="post"[^>]*>\s*<input type="hidden" name="csrfmiddlewaretoken"'
                     r'[^>]*>\s*<button class="usa-button" type="submit">Start the intake form'
                     r"</button>", html)
    assert "Continue:" not in html and "Start: " not in html

    response = client.post(url("intake", contract))
    assert response.status_code == 302
    assert response["Location"] == screen_url(contract, "contract")
    request = OnboardingRequest.objects.get(contract=contract)
    assert request.status == "draft" and request.created_by == people["cor"]
    assert AuditEvent.objects.filter(contract=contract, action="onboarding.started").count() == 1
    assert "Intake form started." in " ".join(messages_of(client.get(response["Location"])))
    # Pressing it again (a second tab) starts nothing more.
    assert client.post(url("intake", contract)).status_code == 302
    assert AuditEvent.objects.filter(contract=contract, action="onboarding.started").count() == 1
    assert "Start the intake form" not in text_of(client.get(url("intake", contract)))


@pytest.mark.parametrize("who", ["so", "onboarding_team"])
def test_only_the_cor_and_poc_start_the_intake(client, people, who):
    contract = older_contract(people)
    signed_in(client, people[who])
    assert "Start the intake form" not in text_of(client.get(url("intake", contract)))
    response = client.post(url("intake", contract))
    assert response.status_code == 403
    assert not OnboardingRequest.objects.filter(contract=contract).exists()


def test_before_the_award_the_intake_form_is_not_open(client, people):
    signed_in(client, people["cor"])
    response = client.get(url("intake", people["mine"]))
    assert response.status_code == 200
    assert "The intake form opens once the award is recorded." in text_of(response)
    assert not OnboardingRequest.objects.filter(contract=people["mine"]).exists()
    assert client.get(screen_url(people["mine"], "contract")).status_code == 302


@pytest.mark.parametrize(("who", "status"), [
    ("so", 403), ("spoc", 403), ("team_lead", 403), ("contractor_user", 404),
    ("other_cor", 404), ("outsider", 404),
])
def test_people_who_do_not_fill_the_intake_cannot_open_it(client, people, mine, who, status):
    signed_in(client, people[who])
    for target in (url("intake", mine), screen_url(mine, "work"), url("intake_review", mine)):
        assert client.get(target).status_code == status
    response = fill(client, mine, "work", answers(people, mine)["work"])
    assert response.status_code == status
    mine.refresh_from_db()
    assert mine.type_of_work == ""


def test_the_team_sees_a_draft_read_only(client, people, mine):
    signed_in(client, people["onboarding_team"])
    response = client.get(url("intake", mine))
    assert response.status_code == 200
    body = text_of(response)
    assert "the onboarding team edits it after that" in body
    assert screen_url(mine, "organization") not in response.content.decode()
    response = client.get(screen_url(mine, "organization"))
    assert response.status_code == 403
    assert "The COR and the contractor's point of contact fill in the intake form" in \
        text_of(response).replace("&#x27;", "'")


# --- Walking the screens -----------------------------------------------------------------------


def test_the_cor_walks_the_wizard_and_submits(client, people, mine, mailoutbox, media):
    order = ["contract", "organization", "parties", "work", "services", "dua"]
    data = answers(people, mine)
    for slug, following in zip(order, [*order[1:], None], strict=True):
        page = client.get(screen_url(mine, slug))
        assert page.status_code == 200
        check_page(page)
        response = fill(client, mine, slug, data[slug])
        assert response.status_code == 302, text_of(response)[:2000]
        expected = screen_url(mine, following) if following else url("intake_review", mine)
        assert response["Location"] == expected

    mine.refresh_from_db()
    assert mine.task_order_number == "TO-7"
    assert mine.organization.harp_name == "ACME ANALYTICS"
    roles = {r.role: r for r in mine.roles.select_related("user")}
    assert roles["so"].user.email == "sam.secure@acme.example"
    assert roles["so"].user.harp_id == "SAM.SECURE-1"
    assert roles["so"].eua_check == "initiated"
    assert roles["spoc"].eua_check == "in_progress"
    assert roles["cor"].user.phone == "202-555-0100"
    item = mine.services.get()
    assert (item.estimated_users, item.justification) == (5, "Analysts model readmission "
                                                              "measures.")
    dua = DataUseAgreement.objects.get(contract=mine)
    assert dua.number == "DUA-2026-0042" and dua.expiry_date == D(2027, 12, 31)
    stored = media / dua.document.name
    assert stored.read_bytes().startswith(b"%PDF-")

    review = client.get(url("intake_review", mine))
    assert review.status_code == 200
    check_page(review)
    assert "Nothing is missing: the intake form can be submitted." in text_of(review)

    mailoutbox.clear()
    onboarding = OnboardingRequest.objects.get(contract=mine)
    response = client.post(url("intake_review", mine), {"version": onboarding.version})
    assert response.status_code == 302
    assert response["Location"] == url("request", mine)
    assert "Intake form submitted." in " ".join(messages_of(client.get(url("intake", mine))))

    onboarding.refresh_from_db()
    assert onboarding.status == "submitted"
    assert onboarding.get_status_display() == "Waiting for review"
    assert onboarding.submitted_by == people["cor"]
    mine.refresh_from_db()
    assert mine.stage == Stage.ONBOARDING
    steps = {s.key: s for s in mine.steps.all()}
    for key in ("submit-intake", "so-spoc-identified", "name-so-spoc"):
        assert steps[key].completed_at is not None, key
        assert steps[key].completed_by == people["cor"]
    assert steps["eligibility-meeting"].completed_at is None
    submit = AuditEvent.objects.get(contract=mine, action="onboarding.submit")
    assert submit.actor == people["cor"]
    assert (submit.before, submit.after) == ({"status": "draft"}, {"status": "submitted"})
    assert AuditEvent.objects.filter(contract=mine, action="contract.start_onboarding").exists()
    assert AuditEvent.objects.filter(contract=mine, action="contract.dua_uploaded").exists()

    deliver_due()
    [email] = [m for m in mailoutbox if m.subject == "Intake submitted: Mine"]
    assert email.to == [people["onboarding_team"].email]
    assert sorted(email.cc) == sorted([people["cor"].email, people["poc"].email])
    assert "Cora COR submitted the onboarding intake form for Mine" in email.body
    assert url("request", mine) in email.body


def test_the_poc_continues_the_cors_draft(client, people, mine):
    data = answers(people, mine)
    response = fill(client, mine, "contract", data["contract"], save_draft="1")
    assert response["Location"] == screen_url(mine, "contract")
    assert fill(client, mine, "organization", data["organization"]).status_code == 302

    signed_in(client, people["poc"])
    overview = client.get(url("intake", mine))
    assert "Organization ✓ Done" in text_of(overview)
    assert "Continue: Type of work" in text_of(overview)
    page = client.get(screen_url(mine, "organization"))
    assert 'value="ACME ANALYTICS"' in page.content.decode()  # the COR's answer
    assert 'value="TO-7"' in client.get(screen_url(mine, "contract")).content.decode()
    for slug in ("parties", "work", "services", "dua"):
        assert fill(client, mine, slug, data[slug]).status_code == 302, slug
    onboarding = OnboardingRequest.objects.get(contract=mine)
    response = client.post(url("intake_review", mine), {"version": onboarding.version})
    assert response.status_code == 302
    onboarding.refresh_from_db()
    assert onboarding.status == "submitted" and onboarding.submitted_by == people["poc"]
    # Each save is on the record under the person who made it.
    organization = AuditEvent.objects.get(contract=mine, action="contract.updated",
                                          summary="Changed organization")
    assert organization.actor == people["cor"]
    work = AuditEvent.objects.get(contract=mine, action="contract.updated",
                                  summary="Changed type_of_work")
    assert work.actor == people["poc"]


def test_save_draft_stays_on_the_screen(client, people, mine):
    response = fill(client, mine, "work", answers(people, mine)["work"], save_draft="1")
    assert response.status_code == 302
    assert response["Location"] == screen_url(mine, "work")
    page = client.get(response["Location"])
    assert "Draft saved" in text_of(page)
    assert "Statistical analysis of quality reporting data" in page.content.decode()
    mine.refresh_from_db()
    assert mine.type_of_work.startswith("Statistical analysis")


def test_a_screen_shows_the_step_indicator_and_a_back_link(client, people, mine):
    response = client.get(screen_url(mine, "parties"))
    html = response.content.decode()
    page = check_page(response)
    assert page.title.startswith("People: COR, POC, SO and SPOC (step 3 of 6)")
    assert 'class="usa-step-indicator' in html and 'aria-label="Intake form progress"' in html
    current = re.search(r'<li class="[^"]*segment--current" aria-current="step">(.*?)</li>',
                        html, re.DOTALL)
    assert "People: COR, POC, SO and SPOC" in current.group(1)
    assert re.search(r'usa-step-indicator__current-step">3</span>\s*'
                     r'<span class="usa-step-indicator__total-steps">of 6', html)
    assert "Contract and period of performance completed" in text_of(response)
    assert "Organization not completed" in text_of(response)
    assert f'href="{screen_url(mine, "organization")}">Back to Organization' in html
    assert 'name="continue"' in html and 'name="save_draft"' in html


def test_an_unknown_screen_is_not_found(client, people, mine):
    assert client.get(screen_url(mine, "favourite-colour")).status_code == 404


def test_the_dua_screen_appears_only_when_a_chosen_service_needs_a_dua(client, people, mine):
    confluence = Service.objects.get(slug="confluence")
    svc = f"svc_{confluence.pk}"
    response = fill(client, mine, "services", {
        f"{svc}_selected": "on", f"{svc}_users": "12",
        f"{svc}_justification": "Project documentation.",
    })
    assert response["Location"] == url("intake_review", mine)
    assert list(mine.services.values_list("service__slug", flat=True)) == ["confluence"]
    assert client.get(screen_url(mine, "dua")).status_code == 404
    assert "Data Use Agreement" not in text_of(client.get(url("intake", mine)))
    # Choosing SAS Viya again brings the DUA screen back, next after services.
    response = fill(client, mine, "services", answers(people, mine)["services"])
    assert response["Location"] == screen_url(mine, "dua")


# --- Each screen's bad inputs -----------------------------------------------------------------


REQUIRED = {
    "contract": ["Contract name", "Contract number", "Period of performance start",
                 "Period of performance end"],
    "organization": ["Organization name", "HARP organization name"],
    "parties": ["COR: phone", "Contractor point of contact (POC): full name",
                "Contractor point of contact (POC): email",
                "Contractor point of contact (POC): phone",
                "Security Official (SO): full name", "Security Official (SO): HARP ID",
                "Security Official (SO): EUA background check",
                "Security point of contact (SPOC): email",
                "Security point of contact (SPOC): HARP ID"],
    "work": ["Type of work to be performed"],
    "services": [],
    "dua": ["DUA number", "Expiry date", "Signed DUA (PDF)"],
}


@pytest.mark.parametrize("slug", list(REQUIRED))
def test_a_screen_cannot_be_left_with_required_fields_empty(client, people, mine, slug):
    before = AuditEvent.objects.count()
    for extra in ({}, {"save_draft": "1"}):
        response = client.post(screen_url(mine, slug), extra)
        assert response.status_code == 400
        page = check_page(response)
        assert page.title.startswith("Error: ")
        body = text_of(response)
        assert "There is a problem" in body or "There are" in body
        for label in REQUIRED[slug]:
            assert f"{label}: This field is required." in body, label
        if slug == "services":
            assert "Choose at least one service the contract needs." in body
        assert 'class="usa-error-message"' in response.content.decode() or slug == "services"
    assert AuditEvent.objects.count() == before


def test_a_pop_ending_before_it_starts_is_refused_and_typed_values_stay(client, people, mine):
    data = {**answers(people, mine)["contract"], "pop_start": "2026-12-01",
            "pop_end": "2026-11-30", "name": "Mine, renamed"}
    response = fill(client, mine, "contract", data)
    assert response.status_code == 400
    assert "The period of performance must end after it starts." in text_of(response)
    html = response.content.decode()
    assert 'value="Mine, renamed"' in html and 'value="2026-11-30"' in html
    assert re.search(r'aria-describedby="[^"]*id_pop_end_error', html)
    mine.refresh_from_db()
    assert mine.name == "Mine"


def test_a_pop_starting_before_the_award_is_refused(client, people, mine):
    data = {**answers(people, mine)["contract"], "pop_start": "2026-11-20"}
    response = fill(client, mine, "contract", data)
    assert response.status_code == 400
    assert ("The period of performance cannot start before the award (November 23, 2026)."
            in text_of(response))


def test_a_contract_number_of_another_contract_is_refused(client, people, mine):
    data = {**answers(people, mine)["contract"],
            "contract_number": people["other"].contract_number}
    response = fill(client, mine, "contract", data)
    assert response.status_code == 400
    assert "Another contract in Muster has this number." in text_of(response)


@pytest.mark.parametrize("harp_id", ["ab", "-sam", "sam secure", "sam@acme", "émile"])
def test_a_malformed_harp_id_is_refused(client, people, mine, harp_id):
    data = {**answers(people, mine)["parties"], "so_harp_id": harp_id}
    response = fill(client, mine, "parties", data)
    assert response.status_code == 400
    body = text_of(response)
    assert "Security Official (SO): HARP ID: A HARP ID is 3 to 64 letters, digits, dots, " \
        "underscores or hyphens" in body
    assert 'value="sam.secure@acme.example"' in response.content.decode()
    assert not mine.roles.filter(user__email="sam.secure@acme.example").exists()


def test_a_harp_id_of_another_person_is_refused(client, people, mine):
    taken = people["contractor_user"].harp_id
    data = {**answers(people, mine)["parties"], "so_harp_id": taken.upper()}
    response = fill(client, mine, "parties", data)
    assert response.status_code == 400
    assert "This HARP ID belongs to someone else in Muster" in text_of(response)
    assert mine.roles.get(role="so").user == people["so"]


@pytest.mark.parametrize("same", ["email", "harp_id"])
def test_one_person_as_both_so_and_spoc_is_refused(client, people, mine, same):
    # The seeds name two people ("these individuals"), as closeout's scenario 1 does.
    parties = answers(people, mine)["parties"]
    data = {**parties, f"spoc_{same}": parties[f"so_{same}"].upper()}
    response = fill(client, mine, "parties", data)
    assert response.status_code == 400
    assert "the SO and the SPOC are two different people" in text_of(response)
    assert mine.roles.get(role="spoc").user == people["spoc"]


def test_bad_phone_and_email_are_refused(client, people, mine):
    data = {**answers(people, mine)["parties"], "poc_phone": "call me", "so_email": "sam@"}
    response = fill(client, mine, "parties", data)
    assert response.status_code == 400
    body = text_of(response)
    assert "There are 2 problems" in body
    assert "Enter a phone number" in body and "Enter a valid email address." in body


def test_no_service_chosen_is_refused(client, people, mine):
    response = fill(client, mine, "services", {})
    assert response.status_code == 400
    assert "Choose at least one service the contract needs." in text_of(response)
    assert mine.services.count() == 1  # the SAS Viya request stays


def test_a_chosen_service_needs_users_and_a_justification(client, people, mine):
    svc = f"svc_{sas().pk}"
    response = fill(client, mine, "services", {f"{svc}_selected": "on"})
    assert response.status_code == 400
    body = text_of(response)
    assert "Estimate how many people need SAS Viya." in body
    assert "Say why the work needs SAS Viya." in body
    response = fill(client, mine, "services", {f"{svc}_selected": "on", f"{svc}_users": "0",
                                               f"{svc}_justification": "Modelling."})
    assert response.status_code == 400
    assert "Ensure this value is greater than or equal to 1." in text_of(response)
    assert "Modelling." in response.content.decode()


def test_a_non_pdf_renamed_pdf_is_refused(client, people, mine, media):
    upload = SimpleUploadedFile("signed-dua.pdf", b"PK\x03\x04 a Word document, really",
                                content_type="application/pdf")
    response = fill(client, mine, "dua", answers(people, mine)["dua"], document=upload)
    assert response.status_code == 400
    body = text_of(response)
    assert "Signed DUA (PDF): This file is not a PDF (whatever its name says)." in body
    assert "choose the PDF again" in body
    assert 'value="DUA-2026-0042"' in response.content.decode()
    assert 'enctype="multipart/form-data"' in response.content.decode()
    assert not DataUseAgreement.objects.exists()
    assert not media.exists() or not any(media.rglob("*.pdf"))


def test_an_oversized_pdf_is_refused(client, people, mine, settings):
    settings.MAX_UPLOAD_MB = 1
    big = padded_pdf(1_300_000)
    assert big.startswith(b"%PDF-") and len(big) > 1024 * 1024
    response = fill(client, mine, "dua", answers(people, mine)["dua"],
                    document=pdf_upload(content=big))
    assert response.status_code == 400
    assert "the largest accepted is 1 MB" in text_of(response)
    assert not DataUseAgreement.objects.exists()
    # The same PDF under the cap is accepted.
    settings.MAX_UPLOAD_MB = 2
    response = fill(client, mine, "dua", answers(people, mine)["dua"],
                    document=pdf_upload(content=big))
    assert response.status_code == 302


def test_a_valid_pdf_is_accepted_and_kept_when_the_screen_is_saved_again(client, people, mine,
                                                                        media):
    response = fill(client, mine, "dua", answers(people, mine)["dua"])
    assert response.status_code == 302
    dua = DataUseAgreement.objects.get(contract=mine)
    assert (media / dua.document.name).read_bytes().startswith(b"%PDF-")
    page = client.get(screen_url(mine, "dua"))
    assert "A signed DUA (DUA-2026-0042) is on file" in text_of(page)
    # No new file: the one on file stays; the expiry changes (audited).
    data = {**answers(people, mine)["dua"], "expiry_date": "2028-01-31"}
    assert client.post(screen_url(mine, "dua"), data).status_code == 302
    dua.refresh_from_db()
    assert dua.expiry_date == D(2028, 1, 31) and DataUseAgreement.objects.count() == 1
    change = AuditEvent.objects.get(contract=mine, action="contract.dua_updated")
    assert change.before == {"expiry_date": "2027-12-31"}
    assert change.after == {"expiry_date": "2028-01-31"}


def test_an_expired_dua_is_refused(client, people, mine):
    data = {**answers(people, mine)["dua"], "expiry_date": "2026-11-23"}
    response = fill(client, mine, "dua", data)
    assert response.status_code == 400
    assert "This DUA has expired: give the current one." in text_of(response)


# --- Review and submit -----------------------------------------------------------------------


def test_the_review_shows_everything_entered_with_change_links(client, people, mine):
    fill_everything(client, people, mine)
    response = client.get(url("intake_review", mine))
    body = text_of(response)
    html = response.content.decode()
    for expected in ("Contract name Mine", "Task order number TO-7",
                     "Period of performance start December 1, 2026",
                     "Period of performance end November 30, 2027",
                     "HARP organization name ACME ANALYTICS", "COR Cora COR",
                     "Security Official (SO): HARP ID SAM.SECURE-1",
                     "Security Official (SO): EUA background check Initiated",
                     "Security point of contact (SPOC): phone (410) 555-0103",
                     "Statistical analysis of quality reporting data for CMS.",
                     "SAS Viya Estimated users: 5. Justification: Analysts model readmission",
                     "DUA number DUA-2026-0042", "Expiry date December 31, 2027",
                     "Signed DUA (PDF) Uploaded November 24, 2026"):
        assert expected in body, expected
    for slug in ("contract", "organization", "parties", "work", "services", "dua"):
        assert f'href="{screen_url(mine, slug)}?from=review">Change' in html, slug
    assert "Still missing" not in body
    onboarding = OnboardingRequest.objects.get(contract=mine)
    assert f'name="version" value="{onboarding.version}"' in html


def test_submitting_with_something_missing_is_refused_with_the_list(client, people, mine,
                                                                    mailoutbox):
    response = client.get(url("intake_review", mine))
    body, html = text_of(response), response.content.decode()
    assert "Still missing" in body
    # Each missing item links to its screen; no Submit button until nothing is missing.
    assert "Organization : the organization and its HARP name" in body
    assert f'<a href="{screen_url(mine, "organization")}?from=review">Organization</a>' in html
    assert f'<a href="{screen_url(mine, "dua")}?from=review">Data Use Agreement</a>' in html
    assert "Submit the intake form" not in body
    assert "The Submit button appears here once nothing is missing." in body
    # A crafted POST is still refused with the list.
    onboarding = OnboardingRequest.objects.get(contract=mine)
    response = client.post(url("intake_review", mine), {"version": onboarding.version})
    assert response.status_code == 400
    page = check_page(response)
    assert page.title.startswith("Error: ")
    body = text_of(response)
    assert ("The intake form is not complete: Organization: the organization and its HARP "
            "name; Type of work: the type of work; Services required: the estimated users and "
            "justification for SAS Viya; Data Use Agreement: the signed DUA") in body
    onboarding.refresh_from_db()
    assert onboarding.status == "draft"
    deliver_due()
    assert not [m for m in mailoutbox if m.subject.startswith("Intake submitted")]
    fill_everything(client, people, mine)
    response = client.get(url("intake_review", mine))
    assert "Submit the intake form" in text_of(response)
    assert "Still missing" not in text_of(response)


def test_change_on_the_review_leads_back_to_the_review(client, people, mine):
    fill_everything(client, people, mine)
    review = url("intake_review", mine)
    for slug in ("contract", "work", "services"):
        change = f"{screen_url(mine, slug)}?from=review"
        page = client.get(change)
        assert page.status_code == 200
        html = page.content.decode()
        assert f'href="{review}">Back to review</a>' in html
        assert "Save and return to review" in text_of(page)
        assert "Back to Organization" not in html
        response = client.post(change, answers(people, mine)[slug])
        assert response["Location"] == review, slug
    # Save draft stays on the screen, still opened from the review.
    change = f"{screen_url(mine, "work")}?from=review"
    response = client.post(change, {"type_of_work": "Dashboards for the program office.",
                                    "save_draft": "1"})
    assert response["Location"] == change
    # An invalid save stays on the screen with its errors, still offering the way back.
    response = client.post(change, {"type_of_work": ""})
    assert response.status_code == 400
    assert f'href="{review}">Back to review</a>' in response.content.decode()
    # Walking the form from the overview still goes screen by screen.
    response = client.post(screen_url(mine, "work"), answers(people, mine)["work"])
    assert response["Location"] == screen_url(mine, "services")


def test_when_the_poc_submits_first_the_cors_stale_submit_is_refused(client, people, mine,
                                                                    mailoutbox):
    fill_everything(client, people, mine)
    html = client.get(url("intake_review", mine)).content.decode()
    seen = re.search(r'name="version" value="(\d+)"', html).group(1)
    poc = client.__class__()
    signed_in(poc, people["poc"])
    assert poc.post(url("intake_review", mine), {"version": seen}).status_code == 302
    response = client.post(url("intake_review", mine), {"version": seen})
    assert response.status_code == 302
    assert response["Location"] == url("intake_review", mine)
    assert "Someone else changed this request" in " ".join(
        messages_of(client.get(response["Location"])))
    onboarding = OnboardingRequest.objects.get(contract=mine)
    assert onboarding.status == "submitted" and onboarding.submitted_by == people["poc"]
    assert AuditEvent.objects.filter(contract=mine, action="onboarding.submit").count() == 1
    deliver_due()
    assert len([m for m in mailoutbox if m.subject == "Intake submitted: Mine"]) == 1


def test_a_submit_without_its_version_is_a_bad_request(client, people, mine):
    fill_everything(client, people, mine)
    response = client.post(url("intake_review", mine), {})
    assert response.status_code == 400
    assert OnboardingRequest.objects.get(contract=mine).status == "draft"


# --- After submission -----------------------------------------------------------------------------


@pytest.fixture
def submitted(client, people, mine):
    fill_everything(client, people, mine)
    onboarding = OnboardingRequest.objects.get(contract=mine)
    assert client.post(url("intake_review", mine),
                       {"version": onboarding.version}).status_code == 302
    return mine


@pytest.mark.parametrize("who", ["cor", "poc"])
def test_after_submission_the_cor_and_poc_are_told_to_email_the_team(client, people, submitted,
                                                                    who):
    signed_in(client, people[who])
    response = client.get(screen_url(submitted, "work"))
    assert response.status_code == 403
    body = text_of(response)
    assert "This intake form has been submitted: only the onboarding team can change it now." \
        in body
    assert "Email the onboarding team at contract-onboarding@example.gov" in body
    response = fill(client, submitted, "work", {"type_of_work": "Something else entirely, "
                                                                "not what was submitted."})
    assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.type_of_work.startswith("Statistical analysis")
    overview = client.get(url("intake", submitted))
    assert overview.status_code == 200
    assert screen_url(submitted, "work") not in overview.content.decode()
    review = client.get(url("intake_review", submitted))
    assert screen_url(submitted, "work") not in review.content.decode()
    assert "Submit the intake form" not in text_of(review)


def test_after_submission_the_team_edits_and_the_change_is_audited(client, people, submitted):
    team = people["onboarding_team"]
    signed_in(client, team)
    page = client.get(screen_url(submitted, "work"))
    assert page.status_code == 200
    assert "Your changes are recorded on the contract's history." in text_of(page).replace(
        "&#x27;", "'")
    new = "Statistical analysis of quality data, and dashboards for the program office."
    response = fill(client, submitted, "work", {"type_of_work": new})
    assert response.status_code == 302
    assert response["Location"] == screen_url(submitted, "services")
    submitted.refresh_from_db()
    assert submitted.type_of_work == new
    event = AuditEvent.objects.filter(contract=submitted, action="contract.updated",
                                      actor=team).get()
    assert event.before == {"type_of_work": "Statistical analysis of quality reporting data "
                                            "for CMS."}
    assert event.after == {"type_of_work": new}
    assert OnboardingRequest.objects.get(contract=submitted).status == "submitted"
    review = client.get(url("intake_review", submitted))
    assert f'href="{screen_url(submitted, "work")}?from=review">Change' in review.content.decode()
    assert "Submit the intake form" not in text_of(review)


def test_the_team_cannot_submit_a_draft_for_the_cor(client, people, mine):
    fill_everything(client, people, mine)
    signed_in(client, people["onboarding_team"])
    onboarding = OnboardingRequest.objects.get(contract=mine)
    response = client.post(url("intake_review", mine), {"version": onboarding.version})
    assert response.status_code == 403
    assert OnboardingRequest.objects.get(contract=mine).status == "draft"


def test_a_service_no_longer_offered_stays_on_the_services_screen(client, people, mine):
    """A contract keeps its request for a service no longer offered when the screen saves."""
    hidden = request_service(mine, "pecos")
    Service.objects.filter(slug="pecos").update(is_active=False)
    page = client.get(screen_url(mine, "services"))
    assert "PECOS" in text_of(page)
    data = {**answers(people, mine)["services"], f"svc_{hidden.service_id}_selected": "on",
            f"svc_{hidden.service_id}_users": "2",
            f"svc_{hidden.service_id}_justification": "Enrollment lookups."}
    assert fill(client, mine, "services", data).status_code == 302
    assert set(mine.services.values_list("service__slug", flat=True)) == {"sas-viya", "pecos"}
    assert Contract.objects.get(pk=mine.pk).services.get(service__slug="pecos").justification \
        == "Enrollment lookups."


# --- Deselecting the services that need a DUA ------------------------------------------------


def only_confluence() -> dict:
    svc = f"svc_{Service.objects.get(slug='confluence').pk}"
    return {f"{svc}_selected": "on", f"{svc}_users": "4",
            f"{svc}_justification": "Team documentation."}


def test_deselecting_every_dua_service_discards_the_draft_dua(
        client, people, mine, media, django_capture_on_commit_callbacks):
    fill_everything(client, people, mine)
    dua = DataUseAgreement.objects.get(contract=mine)
    stored = media / dua.document.name
    assert stored.exists()

    with django_capture_on_commit_callbacks(execute=True):  # the file goes after the commit
        response = fill(client, mine, "services", only_confluence())
    assert response["Location"] == url("intake_review", mine)
    assert not DataUseAgreement.objects.filter(contract=mine).exists()
    assert not stored.exists()
    event = AuditEvent.objects.get(contract=mine, action="contract.dua_discarded")
    assert event.actor == people["cor"]
    assert event.before["number"] == "DUA-2026-0042"
    assert "no chosen service needs a DUA" in event.summary
    review = client.get(url("intake_review", mine))
    assert "DUA-2026-0042" not in text_of(review)

    onboarding = OnboardingRequest.objects.get(contract=mine)
    response = client.post(url("intake_review", mine), {"version": onboarding.version})
    assert response.status_code == 302
    for page in (reverse("contracts:detail", args=[mine.pk]),
                 reverse("access:dua", args=[mine.pk])):
        body = text_of(client.get(page))
        assert "DUA-2026-0042" not in body and "Latest DUA" not in body, page


def test_choosing_a_dua_service_again_asks_for_the_dua_again(client, people, mine):
    fill_everything(client, people, mine)
    fill(client, mine, "services", only_confluence())
    response = fill(client, mine, "services", answers(people, mine)["services"])
    assert response["Location"] == screen_url(mine, "dua")
    page = client.get(screen_url(mine, "dua"))
    assert "is on file" not in text_of(page)
    assert "Data Use Agreement Missing: the signed DUA" in text_of(client.get(url("intake",
                                                                                  mine)))


def test_a_dua_given_on_the_dua_page_is_not_a_draft_and_stays(client, people, mine, media):
    from muster.access import dua as duas

    kept, _ = duas.upload_dua(people["so"], mine, number="DUA-ON-FILE",
                              effective_date=None, expiry_date=D(2027, 12, 31),
                              document=pdf_upload(), services=[sas()])
    fill_everything(client, people, mine)  # replaces it on the intake: a new draft DUA
    assert DataUseAgreement.objects.filter(contract=mine).count() == 2
    fill(client, mine, "services", only_confluence())
    assert list(DataUseAgreement.objects.filter(contract=mine)) == [kept]
    assert (media / kept.document.name).exists()


def test_a_submitted_dua_is_no_longer_a_draft(client, people, submitted):
    """After submission the DUA is the contract's: the team's later edits keep it."""
    signed_in(client, people["onboarding_team"])
    assert fill(client, submitted, "services", only_confluence()).status_code == 302
    assert DataUseAgreement.objects.filter(contract=submitted).count() == 1


# --- Which stages allow an intake ------------------------------------------------------------


PAST_ONBOARDING = {
    "active": [Contract.start_onboarding, Contract.activate],
    "closing": [Contract.start_onboarding, Contract.begin_closeout],
    "closed": [Contract.close],
}


def move_to(contract, stage):
    for transition in PAST_ONBOARDING[stage]:
        contract = contract_services.change_stage(None, contract, transition)
    assert contract.stage == stage
    return contract


@pytest.mark.parametrize("stage", list(PAST_ONBOARDING))
def test_an_intake_cannot_be_started_past_onboarding(client, people, stage):
    contract = move_to(older_contract(people), stage)
    signed_in(client, people["cor"])
    page = client.get(reverse("contracts:detail", args=[contract.pk]))
    assert "Fill in the intake form" not in text_of(page)
    response = client.get(url("intake", contract))
    assert response.status_code == 200
    body = text_of(response)
    assert f"This contract is {stage}:" in body
    assert "Start the intake form" not in body
    response = client.post(url("intake", contract))
    assert response.status_code == 403
    assert f"This contract is {stage}:" in text_of(response)
    assert not OnboardingRequest.objects.filter(contract=contract).exists()


@pytest.mark.parametrize("stage", list(PAST_ONBOARDING))
def test_a_draft_cannot_be_changed_or_submitted_past_onboarding(client, people, mine, stage,
                                                                mailoutbox):
    fill_everything(client, people, mine)
    mine = move_to(Contract.objects.get(pk=mine.pk), stage)
    reason = f"This contract is {stage}: an intake form is started, changed and submitted"

    overview = client.get(url("intake", mine))
    assert reason in text_of(overview)
    assert screen_url(mine, "work") not in overview.content.decode()
    page = client.get(screen_url(mine, "work"))
    assert page.status_code == 403 and reason in text_of(page)
    response = fill(client, mine, "work", {"type_of_work": "Changed after the fact."})
    assert response.status_code == 403
    mine.refresh_from_db()
    assert mine.type_of_work.startswith("Statistical analysis")

    review = client.get(url("intake_review", mine))
    assert reason in text_of(review) and "Submit the intake form" not in text_of(review)
    onboarding = OnboardingRequest.objects.get(contract=mine)
    response = client.post(url("intake_review", mine), {"version": onboarding.version})
    assert response.status_code == 400
    assert reason in text_of(response)
    assert OnboardingRequest.objects.get(contract=mine).status == "draft"
    deliver_due()
    assert not [m for m in mailoutbox if m.subject.startswith("Intake submitted")]


@pytest.mark.parametrize(("stage", "status"), [("closing", 302), ("closed", 403)])
def test_a_request_returned_to_the_cor_can_be_changed_until_the_contract_closes(
        client, people, submitted, stage, status):
    from muster.onboarding import services

    services.ask_question(people["onboarding_team"], submitted.onboarding_request,
                          "How many analysts start in month one?")
    transition = Contract.begin_closeout if stage == "closing" else Contract.close
    contract_services.change_stage(None, Contract.objects.get(pk=submitted.pk), transition)
    response = fill(client, submitted, "work", {"type_of_work": "Analysis, and dashboards."})
    assert response.status_code == status
    submitted.refresh_from_db()
    changed = submitted.type_of_work == "Analysis, and dashboards."
    assert changed == (status == 302)
