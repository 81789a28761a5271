"""Touch-point calls and the post-onboarding survey through HTTP, as the real roles: calls
archived on the contract with their PDF documents (checked by content), the survey answered
once by the contractor side, and the team's summary of the answers."""

import datetime
import io

import pytest
from django.urls import reverse

from muster.audit.models import AuditEvent
from muster.notifications.delivery import deliver_due
from muster.onboarding.models import (
    CallDocument,
    SurveyResponse,
    TouchPointCall,
)
from muster.onboarding.package import prepare_due
from tests.pages import html_of

from ..factories import TODAY, make_contract, pdf_bytes, pdf_upload, signed_in

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture(autouse=True)
def today(freeze_today):
    """Today is frozen at 2026-11-24 (before `approved` makes its rows)."""
    return freeze_today(TODAY)


def url(name, people, *args):
    return reverse(f"onboarding:{name}", args=[people["mine"].pk, *args])


def text_file(name="notes.pdf"):
    buffer = io.BytesIO(b"Not a PDF at all, just some meeting notes.\n")
    buffer.name = name
    return buffer


def call_data(**overrides):
    data = {
        "held_on": "2026-11-20",
        "topics": ["security_deliverables", "hardware_software"],
        "outcome": "Laptops ordered; security plan due Dec 15.",
        "notes": "Next call in two weeks.",
    }
    data.update(overrides)
    return data


def step(contract, key):
    return contract.steps.get(key=key)


def actions(contract, action) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(contract=contract, action=action))


def send_package(client, people):
    signed_in(client, people["onboarding_team"])
    response = client.post(url("send_package", people))
    assert response.status_code == 302
    prepare_due()  # the worker's turn: the PDF, the email, onboarding complete
    return response


# --- Touch-point calls ------------------------------------------------------------------


def test_the_team_archives_a_call_with_its_documents(client, approved):
    mine = approved["mine"]
    signed_in(client, approved["onboarding_team"])
    expected = pdf_bytes()
    first, second = pdf_upload("minutes.pdf", expected), pdf_upload("security-plan-template.pdf")
    response = client.post(url("calls", approved), call_data(documents=[first, second]))
    assert response.status_code == 302
    assert response.url == url("calls", approved)
    page = html_of(client.get(response.url))
    assert "The call of November 20, 2026 is archived with 2 documents." in page
    assert "Call of November 20, 2026" in page
    assert "Security deliverables, Hardware and software (ordered, delivered, installed)" in page
    assert "Laptops ordered; security plan due Dec 15." in page
    assert "minutes.pdf" in page and "security-plan-template.pdf" in page

    # The contract page counts the calls (and the packages: none sent yet).
    contract_page = html_of(client.get(mine.get_absolute_url()))
    assert "Touch-point calls (1)" in contract_page
    assert "Welcome package</a>" in contract_page  # no count: none sent

    call = TouchPointCall.objects.get(contract=mine)
    doc = call.documents.get(name="minutes.pdf")
    link = url("call_document", approved, call.pk, doc.pk)
    assert link in page
    signed_in(client, approved["so"])  # the contractor side reads the archive too
    assert "Record a call" not in html_of(client.get(url("calls", approved)))
    download = client.get(link)
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content) == expected

    assert step(mine, "touch-point-calls").completed_at is not None
    event, = actions(mine, "onboarding.call_recorded")
    assert event.actor == approved["onboarding_team"]
    assert event.after["documents"] == ["minutes.pdf", "security-plan-template.pdf"]
    assert event.after["topics"] == ["security_deliverables", "hardware_software"]


def test_the_cor_records_calls_too_and_they_are_listed_newest_first(client, approved):
    mine = approved["mine"]
    signed_in(client, approved["cor"])
    assert client.post(url("calls", approved), call_data(held_on="2026-11-10")).status_code == 302
    completed = step(mine, "touch-point-calls").completed_at
    assert completed is not None
    assert client.post(url("calls", approved), call_data(
        held_on="2026-11-23", topics=["templates"], outcome="Templates shared.",
    )).status_code == 302
    page = html_of(client.get(url("calls", approved)))
    assert page.index("Call of November 23, 2026") < page.index("Call of November 10, 2026")
    assert "No documents" not in page
    # The first call completed the step; the second leaves it as it was.
    assert step(mine, "touch-point-calls").completed_at == completed
    assert len(actions(mine, "onboarding.call_recorded")) == 2
    touch_point = step(mine, "touch-point-calls")
    assert len([e for e in actions(mine, "timeline.step_completed")
                if e.object_id == str(touch_point.pk)]) == 1


def test_a_file_that_is_not_a_pdf_is_refused_and_nothing_is_saved(client, approved, settings):
    signed_in(client, approved["onboarding_team"])
    response = client.post(url("calls", approved), call_data(
        documents=[pdf_upload("minutes.pdf"), text_file("agenda.pdf")],
    ))
    page = html_of(response, 400)
    assert "<title>Error: " in page
    assert "There is a problem" in page
    assert "agenda.pdf: This file is not a PDF (whatever its name says)." in page
    assert "Laptops ordered; security plan due Dec 15." in page  # what was typed stays
    assert not TouchPointCall.objects.exists()
    assert not CallDocument.objects.exists()
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))
    assert step(approved["mine"], "touch-point-calls").completed_at is None
    assert not actions(approved["mine"], "onboarding.call_recorded")


def test_an_oversized_pdf_is_refused(client, approved, settings):
    settings.MAX_UPLOAD_MB = 0
    signed_in(client, approved["onboarding_team"])
    response = client.post(url("calls", approved),
                           call_data(documents=[pdf_upload("minutes.pdf")]))
    page = html_of(response, 400)
    assert "minutes.pdf: The file is" in page and "the largest accepted is 0 MB" in page
    assert not TouchPointCall.objects.exists()


def test_a_future_date_is_refused(client, approved):
    signed_in(client, approved["onboarding_team"])
    page = html_of(client.post(url("calls", approved), call_data(held_on="2026-11-25")), 400)
    assert "Record the call after it is held: the date is ahead." in page
    assert not TouchPointCall.objects.exists()


def test_missing_fields_are_each_explained(client, approved):
    signed_in(client, approved["onboarding_team"])
    page = html_of(client.post(url("calls", approved), {"notes": "kept"}), 400)
    assert "There are 3 problems" in page
    for label in ("Call date", "Topics", "Outcome"):
        assert f"{label}: This field is required." in page
    assert ">\nkept</textarea>" in page
    assert 'class="usa-checkbox__label"' in page  # topics as USWDS checkboxes


@pytest.mark.parametrize("role", ["so", "spoc", "poc", "team_lead", "sas_lead"])
def test_people_who_may_not_record_a_call_get_403(client, approved, role):
    signed_in(client, approved[role])
    page = html_of(client.get(url("calls", approved)))
    assert "Record a call" not in page
    assert client.post(url("calls", approved), call_data()).status_code == 403
    assert not TouchPointCall.objects.exists()


def test_outsiders_get_404_on_calls_and_documents(client, approved):
    signed_in(client, approved["cor"])
    client.post(url("calls", approved), call_data(documents=[pdf_upload("minutes.pdf")]))
    call = TouchPointCall.objects.get()
    doc = call.documents.get()
    for who in ("outsider", "other_cor", "contractor_user"):
        signed_in(client, approved[who])
        assert client.get(url("calls", approved)).status_code == 404
        assert client.get(url("call_document", approved, call.pk, doc.pk)).status_code == 404


def test_a_document_is_served_only_through_its_own_contract(client, approved):
    signed_in(client, approved["cor"])
    client.post(url("calls", approved), call_data(documents=[pdf_upload("minutes.pdf")]))
    call = TouchPointCall.objects.get()
    doc = call.documents.get()
    # The other contract's COR owns a contract too: its URL cannot reach mine's document.
    other = approved["other"]
    signed_in(client, approved["other_cor"])
    link = reverse("onboarding:call_document", args=[other.pk, call.pk, doc.pk])
    assert client.get(link).status_code == 404
    # A document under the wrong call is not found either.
    signed_in(client, approved["cor"])
    assert client.get(url("call_document", approved, call.pk + 1, doc.pk)).status_code == 404


# --- The survey -------------------------------------------------------------------------


def test_before_it_is_sent_the_survey_page_says_so(client, approved):
    signed_in(client, approved["so"])
    page = html_of(client.get(url("survey", approved)))
    assert "The survey is not open yet" in page
    assert "<form" not in page.split("<main", 1)[1]
    response = client.post(url("survey", approved), {"satisfaction": "5"})
    assert response.status_code == 302
    assert "The survey is not open yet" in html_of(client.get(response.url))
    assert not SurveyResponse.objects.exists()


def test_the_so_answers_the_survey_once(client, approved, mailoutbox):
    mine = approved["mine"]
    send_package(client, approved)
    deliver_due()
    mailoutbox.clear()

    signed_in(client, approved["so"])
    page = html_of(client.get(url("survey", approved)))
    assert page.count('type="radio" name="satisfaction"') == 5
    assert 'class="usa-radio__label"' in page
    assert "Overall, how satisfied are you with onboarding?" in page
    response = client.post(url("survey", approved), {
        "satisfaction": "4", "went_well": "Quick approvals.", "to_improve": "Earlier HARP help.",
    })
    assert response.status_code == 302
    page = html_of(client.get(response.url))
    assert "Thank you: your answers went to the onboarding team." in page
    assert "Thank you, already answered" in page
    assert "<form method=\"post\" class=\"usa-form" not in page

    survey = SurveyResponse.objects.get(contract=mine)
    assert (survey.satisfaction, survey.went_well, survey.to_improve) == (
        4, "Quick approvals.", "Earlier HARP help.")
    assert survey.answered_by == approved["so"]
    assert step(mine, "post-onboarding-survey").completed_at is not None
    event, = actions(mine, "onboarding.survey_answered")
    assert event.actor == approved["so"] and event.after == {"satisfaction": 4}

    deliver_due()
    email, = mailoutbox
    assert email.to == [approved["onboarding_team"].email]
    assert email.subject == "Survey answered: Mine"
    assert "Satisfied" in email.body
    assert reverse("onboarding:surveys") in email.body


def test_a_second_answer_is_refused(client, approved, mailoutbox):
    mine = approved["mine"]
    send_package(client, approved)
    signed_in(client, approved["poc"])
    client.post(url("survey", approved), {"satisfaction": "2", "went_well": "", "to_improve": ""})
    signed_in(client, approved["spoc"])
    page = html_of(client.get(url("survey", approved)))
    assert "Thank you, already answered" in page
    assert "Pat POC answered this survey" in page
    response = client.post(url("survey", approved), {"satisfaction": "5"})
    assert response.status_code == 302
    assert "The survey was already answered." in html_of(client.get(response.url))
    survey = SurveyResponse.objects.get(contract=mine)
    assert survey.satisfaction == 2 and survey.answered_by == approved["poc"]
    assert len(actions(mine, "onboarding.survey_answered")) == 1
    deliver_due()
    assert len([m for m in mailoutbox if m.subject.startswith("Survey answered")]) == 1


def test_an_incomplete_answer_is_explained_and_kept(client, approved):
    send_package(client, approved)
    signed_in(client, approved["so"])
    page = html_of(client.post(url("survey", approved), {"went_well": "The kickoff call."}),
                   400)
    assert "<title>Error: " in page
    assert "Overall, how satisfied are you with onboarding?: This field is required." in page
    assert ">\nThe kickoff call.</textarea>" in page
    assert SurveyResponse.objects.get().answered_at is None

    page = html_of(client.post(url("survey", approved), {"satisfaction": "9"}), 400)
    assert "Select a valid choice." in page


@pytest.mark.parametrize(("role", "status"), [
    ("cor", 403), ("onboarding_team", 403), ("team_lead", 403), ("sas_lead", 403),
    ("outsider", 404), ("other_cor", 404), ("contractor_user", 404),
])
def test_only_the_contractor_side_answers(client, approved, role, status):
    send_package(client, approved)
    signed_in(client, approved[role])
    assert client.get(url("survey", approved)).status_code == status
    assert client.post(url("survey", approved), {"satisfaction": "1"}).status_code == status
    assert SurveyResponse.objects.get().answered_at is None


# --- Survey results -----------------------------------------------------------------------


def answered(contract, satisfaction, went_well="", to_improve="", day=20):
    return SurveyResponse.objects.create(
        contract=contract, satisfaction=satisfaction, went_well=went_well,
        to_improve=to_improve,
        answered_at=datetime.datetime(2026, 11, day, 15, tzinfo=datetime.UTC),
    )


def test_the_team_sees_a_summary_of_the_answers(client, approved):
    send_package(client, approved)
    signed_in(client, approved["so"])
    client.post(url("survey", approved), {"satisfaction": "5", "went_well": "Clear package.",
                                          "to_improve": ""})
    older = make_contract(name="Older")
    answered(older, 2, to_improve="Faster service-lead decisions.", day=10)
    SurveyResponse.objects.create(contract=make_contract(name="Silent"))  # not answered
    answered(make_contract(name="Quiet"), 2, day=12)  # no comment

    for role in ("onboarding_team", "team_lead", "administrator"):
        signed_in(client, approved[role])
        page = html_of(client.get(reverse("onboarding:surveys")))
        assert 'id="stat-sent">4<' in page
        assert 'id="stat-answered">3<' in page
        assert 'id="stat-rate">75%<' in page
        assert 'id="stat-average">3.0 out of 5<' in page
        assert "<th scope=\"row\">5: Very satisfied</th><td>1</td><td>33%</td>" in page
        assert "<th scope=\"row\">2: Dissatisfied</th><td>2</td><td>67%</td>" in page
        assert "<th scope=\"row\">1: Very dissatisfied</th><td>0</td><td>0%</td>" in page
        assert page.index("Clear package.") < page.index("Faster service-lead decisions.")
        assert "Mine</a>: 5 of 5" in page
        assert "Quiet</a>" not in page  # no comment to show


def test_the_summary_with_no_answers_yet(client, approved):
    signed_in(client, approved["onboarding_team"])
    page = html_of(client.get(reverse("onboarding:surveys")))
    assert 'id="stat-sent">0<' in page
    assert "No answers yet" in page
    assert "No comments yet." in page


@pytest.mark.parametrize("role", ["cor", "poc", "so", "spoc", "sas_lead", "outsider"])
def test_others_may_not_see_the_survey_results(client, approved, role):
    answered(approved["mine"], 5, went_well="Secret praise.")
    signed_in(client, approved[role])
    response = client.get(reverse("onboarding:surveys"))
    assert response.status_code == 403
    assert "Secret praise." not in response.content.decode()
