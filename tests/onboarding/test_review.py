"""Review of an onboarding request through HTTP, as each role: the queue, the request's
page, questions and answers, review, team-lead approval, the eligibility meeting and the
service leads' decisions. Each transition is checked for its emails, audit rows and
timeline step, and refused (nothing changed, nothing recorded, nothing sent) for the wrong
role or the wrong status."""

import datetime
import re
from unittest import mock

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from muster.accounts import permissions
from muster.audit.models import AuditEvent
from muster.contracts import services as contract_services
from muster.contracts.models import Contract, ContractService, DataUseAgreement, Stage
from muster.notifications.delivery import deliver_due
from muster.notifications.models import OutboxEmail
from muster.onboarding import intake, queries, services
from muster.onboarding.models import (
    STOPPED,
    EligibilityMeeting,
    OnboardingRequest,
    Question,
    Status,
)

from ..factories import OrganizationFactory, make_contract, request_service, signed_in

pytestmark = pytest.mark.django_db
D = datetime.date
SUBMITTED_ON = D(2026, 12, 2)  # a Wednesday, the day after POP start (Tue Dec 1, 2026)
MEETING_DUE = D(2026, 12, 8)  # POP start + 5 business days


# --- Helpers ------------------------------------------------------------------------------


def complete_intake(contract, people):
    """Fill the intake's answers on `contract` directly (the wizard is tested elsewhere)."""
    Contract.objects.filter(pk=contract.pk).update(
        organization=OrganizationFactory(name="Acme Analytics LLC"),
        type_of_work="Data analysis of quality measures for the hospital programs.",
    )
    ContractService.objects.filter(contract=contract, justification="").update(
        estimated_users=12, justification="Analysts need SAS for measure calculation."
    )
    if contract.services.filter(service__requires_dua=True).exists():
        DataUseAgreement.objects.create(
            contract=contract, number="DUA-0042", expiry_date=D(2099, 1, 1),
            document="contracts/dua/DUA-0042.pdf",
        )
    contract.refresh_from_db()
    if contract.stage == Stage.SOLICITATION:  # an intake is filled once the award is recorded
        contract = contract_services.change_stage(None, contract, Contract.award)
    return intake.start(contract.roles.get(role="cor").user, contract)  # the contract's COR


@pytest.fixture
def today(freeze_today):
    return freeze_today(SUBMITTED_ON)


@pytest.fixture
def draft(people, today):
    """`mine`'s request, every intake answer given, not yet submitted."""
    return complete_intake(people["mine"], people)


@pytest.fixture
def submitted(people, draft, mailoutbox):
    """`mine`'s request, submitted by the COR; the submission email already delivered."""
    services.submit(people["cor"], draft)
    deliver_due()
    mailoutbox.clear()
    return reload(draft)


def reload(onboarding) -> OnboardingRequest:
    return OnboardingRequest.objects.get(pk=onboarding.pk)


def as_(client, people, role):
    return signed_in(client, people[role])


def url(name, contract, **kwargs):
    return reverse(f"onboarding:{name}", args=[contract.pk], **kwargs)


def post(client, name, onboarding, **data):
    data.setdefault("version", onboarding.version)
    return client.post(url(name, onboarding.contract), data)


def audit_actions(contract) -> list[str]:
    return list(AuditEvent.objects.filter(contract=contract).order_by("id")
                .values_list("action", flat=True))


def delivered(mailoutbox):
    deliver_due()
    return list(mailoutbox)


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def advance(people, onboarding, to: str):
    """Move a submitted request on through the services, as the right people."""
    path = [
        (Status.REVIEWED, lambda r: services.mark_reviewed(people["onboarding_team"], r)),
        (Status.LEAD_APPROVED, lambda r: services.approve_as_lead(people["team_lead"], r)),
        (Status.SERVICE_REVIEW, lambda r: services.record_meeting(
            people["onboarding_team"], r, services.MeetingRecord(
                held_on=SUBMITTED_ON, attendees="Cora COR\nPat POC", outcome="eligible",
                notes="All good.",
            ))),
    ]
    for status, step in path:
        step(reload(onboarding))
        if status == to:
            break
    return reload(onboarding)


def snapshot(onboarding):
    """What a refused action must leave untouched."""
    row = reload(onboarding)
    return (row.status, row.version, Question.objects.filter(request=row).count(),
            EligibilityMeeting.objects.filter(request=row).count(),
            AuditEvent.objects.count(), OutboxEmail.objects.count())


# --- The queue ----------------------------------------------------------------------------


def test_the_queue_shows_each_section_with_age_due_date_and_overdue(
    client, people, submitted, freeze_today
):
    other = people["other"]
    Contract.objects.filter(pk=other.pk).update(pop_start=D(2026, 12, 14))
    later = complete_intake(other, people)
    OnboardingRequest.objects.filter(pk=later.pk).update(
        status=Status.QUESTION, submitted_at=datetime.datetime(2026, 12, 9, 15, tzinfo=datetime.UTC)
    )
    freeze_today(D(2026, 12, 10))  # Thursday: 6 business days after Wed Dec 2
    response = as_(client, people, "onboarding_team").get(reverse("onboarding:queue"))
    assert response.status_code == 200
    html = response.content.decode()
    waiting = html.split('id="section-submitted"')[1].split("<section")[0]
    assert "Mine" in waiting and url("request", people["mine"]) in waiting
    assert "Acme Analytics LLC" in waiting
    assert "Dec 2, 2026" in waiting and "6 business days" in waiting
    assert "Eligibility meeting: Tue, Dec 8, 2026" in waiting
    assert "Overdue" in waiting
    question = html.split('id="section-question"')[1].split("<section")[0]
    assert "Other" in question and "1 business day" in question
    assert "Overdue" not in question  # the other contract's meeting is due later


def test_the_queue_writes_names_as_text_and_says_what_is_missing(client, people, today):
    """The rows are written in Python (onboarding/queue_table.py): a name holding markup
    reads as text; no organization, no submitter and a stopped request each say so."""
    contract = make_contract(name='<b>Fish & "Chips"</b>', pop_start=D(2026, 12, 1),
                             pop_end=D(2027, 6, 30))
    OnboardingRequest.objects.create(
        contract=contract, created_by=people["cor"], status=Status.CANCELLED,
        submitted_at=datetime.datetime(2026, 11, 20, 15, tzinfo=datetime.UTC))
    html = as_(client, people, "onboarding_team").get(
        reverse("onboarding:queue") + "?show=stopped").content.decode()
    row = html.split('id="section-cancelled"')[1].split("</tr>", 2)[1]
    assert "&lt;b&gt;Fish &amp; &quot;Chips&quot;&lt;/b&gt;" in row and "<b>Fish" not in row
    assert '<td data-label="Organization">Not given</td>' in row
    assert '<td data-label="Submitted">Nov 20, 2026</td>' in row  # no one named
    assert '<td data-label="Due">Nothing is due</td>' in row


def test_the_queues_sections_say_what_they_hold(client, people, today):
    """The sections are written in Python (onboarding/queue_table.py): each its heading
    and count, its hint as text, "None right now" when empty; shown alone, its pages."""
    as_(client, people, "onboarding_team")
    html = client.get(reverse("onboarding:queue")).content.decode()
    question = html.split('<section aria-labelledby="section-question"')[1].split("</section>")[0]
    assert '<h2 id="section-question">Question open <span class="usa-tag">0</span></h2>' in question
    assert "the contractor&#x27;s POC to answer the team&#x27;s question." in question
    assert '<p class="text-base-dark">None right now.</p>' in question and "<table" not in question

    fill_queue(people, 60)  # 10 waiting for review: a page of 3 at a time
    with mock.patch.object(queries, "SECTION_PAGE", 3):
        html = client.get(reverse("onboarding:queue"),
                          {"section": "submitted", "page": "2"}).content.decode()
    here = "?show=open&amp;section=submitted&amp;page="
    assert (f'<p>Page 2 of 4. <a href="{here}1">Previous page</a> '
            f'<a href="{here}3">Next page</a></p>') in html
    assert f'<a href="{reverse("onboarding:queue")}?show=open">Back to every section</a>' in html
    assert html.count('<td data-label="Age">') == 3


@pytest.mark.parametrize("role", ["onboarding_team", "team_lead", "administrator"])
def test_the_team_opens_the_queue(client, people, role):
    assert as_(client, people, role).get(reverse("onboarding:queue")).status_code == 200


@pytest.mark.parametrize("role", ["cor", "poc", "so", "sas_lead", "outsider"])
def test_no_one_else_opens_the_queue(client, people, role):
    assert as_(client, people, role).get(reverse("onboarding:queue")).status_code == 403


def fill_queue(people, n):
    # The statuses the queue shows by default (not draft, complete, or stopped).
    statuses = [s for s in Status.values if s not in (Status.DRAFT, Status.COMPLETE, *STOPPED)]
    for i in range(n):
        contract = make_contract(organization=OrganizationFactory(),
                                 pop_start=D(2026, 12, 1), pop_end=D(2027, 6, 30))
        request_service(contract, "slack")
        OnboardingRequest.objects.create(
            contract=contract, created_by=people["cor"], status=statuses[i % len(statuses)],
            submitted_at=datetime.datetime(2026, 11, 20 + i % 5, 15, tzinfo=datetime.UTC),
            submitted_by=people["cor"],
        )
        Question.objects.create(request=contract.onboarding_request, text="Why?",
                                asked_by=people["onboarding_team"])


def test_the_queue_makes_as_many_queries_for_twelve_requests_as_for_two(
    client, people, today, django_assert_max_num_queries
):
    as_(client, people, "onboarding_team")
    fill_queue(people, 2)
    with CaptureQueriesContext(connection) as two:
        assert client.get(reverse("onboarding:queue")).status_code == 200
    fill_queue(people, 10)
    with django_assert_max_num_queries(len(two)):
        response = client.get(reverse("onboarding:queue"))
    assert response.content.decode().count("business day") >= 12


@pytest.mark.parametrize("shown", ["open", "stopped"])
def test_the_queues_queries_built_once_answer_as_the_orm(people, shown):
    """The queue's counts and oldest rows are queries built once per process (compiled.py):
    they answer as the ORM's query sets do, stopped requests and missing values included."""
    fill_queue(people, 12)
    for i, status in enumerate(STOPPED):
        OnboardingRequest.objects.create(
            contract=make_contract(pop_start=D(2026, 12, 1), pop_end=D(2027, 6, 30)),
            created_by=people["cor"], status=status,
            submitted_at=datetime.datetime(2026, 11, 2 + i, 15, tzinfo=datetime.UTC))
    statuses = queries._statuses(queries.QUEUE_FILTERS[shown][1])
    counted, oldest = queries._queue_of(statuses)
    assert oldest.rows() == list(queries.queue_rows(statuses, first=queries.SECTION_SHOWN))
    assert len(oldest.rows()) == (12 if shown == "open" else len(STOPPED))
    assert dict(counted.rows()) == dict(
        OnboardingRequest.objects.filter(status__in=statuses).values_list("status")
        .annotate(n=Count("pk")).order_by())


def test_each_sections_oldest_are_its_first_by_submission_then_id_ties_included(people):
    """The oldest rows of each status: the first SECTION_SHOWN by when submitted, then by
    id where two were submitted at once (a union of per-status reads on PostgreSQL, ranks
    within each status on SQLite: the same rows)."""
    submitted = {}
    for i in range(2 * queries.SECTION_SHOWN + 4):
        status = (Status.SUBMITTED, Status.APPROVED)[i % 2]
        at = datetime.datetime(2026, 11, 1, 15, tzinfo=datetime.UTC) + datetime.timedelta(
            hours=(i * 7) % 5)  # five distinct times: many ties
        made = OnboardingRequest.objects.create(
            contract=make_contract(pop_start=D(2026, 12, 1), pop_end=D(2027, 6, 30)),
            created_by=people["cor"], status=status, submitted_at=at)
        submitted.setdefault(status, []).append((at, made.pk, made.contract_id))
    statuses = (Status.SUBMITTED, Status.APPROVED, Status.REVIEWED)
    rows = queries._queue_of(statuses)[1].rows()
    expected = sorted((at, pk, contract_id, status) for status, made in submitted.items()
                      for at, pk, contract_id in sorted(made)[:queries.SECTION_SHOWN])
    assert [(row[0], row[1]) for row in rows] == [
        (contract_id, status) for _, _, contract_id, status in expected]


def test_a_section_shows_its_25_oldest_and_links_to_all_of_them(client, people, today):
    """A queue of thousands: each section shows its 25 oldest requests and its count; its
    link opens that section alone, 50 a page."""
    as_(client, people, "onboarding_team")
    for i in range(30):
        contract = make_contract(name=f"Queued {i:02}", pop_start=D(2026, 12, 1),
                                 pop_end=D(2027, 6, 30))
        OnboardingRequest.objects.create(
            contract=contract, created_by=people["cor"], status=Status.SUBMITTED,
            submitted_at=datetime.datetime(2026, 11, 1, 15, tzinfo=datetime.UTC)
            + datetime.timedelta(hours=i), submitted_by=people["cor"])

    html = client.get(reverse("onboarding:queue")).content.decode()
    waiting = html.split('id="section-submitted"')[1].split("<section")[0]
    assert [f"Queued {i:02}" in waiting for i in range(30)] == [True] * 25 + [False] * 5
    assert "The 25 oldest of 30." in waiting
    link = reverse("onboarding:queue") + "?show=open&amp;section=submitted"
    assert f'<a href="{link}">Show all 30 waiting for review</a>' in waiting

    html = client.get(reverse("onboarding:queue"),
                      {"show": "open", "section": "submitted"}).content.decode()
    assert all(f"Queued {i:02}" in html for i in range(30))
    assert 'id="section-question"' not in html


# --- The request's page -------------------------------------------------------------------


def test_the_team_sees_the_request_and_its_review_actions(client, people, submitted):
    response = as_(client, people, "onboarding_team").get(url("request", people["mine"]))
    assert response.status_code == 200
    page = text_of(response)
    assert "Waiting for review" in page
    assert f"by {people['cor'].full_name}" in page
    assert "SAS Viya" in page and "Analysts need SAS" in page
    assert f'action="{url("ask_question", people["mine"])}"' in page
    assert f'action="{url("mark_reviewed", people["mine"])}"' in page
    assert f'name="version" value="{submitted.version}"' in page
    assert url("approve_as_lead", people["mine"]) not in page


@pytest.mark.parametrize("role", ["cor", "poc", "so", "team_lead", "sas_lead"])
def test_others_see_the_request_without_review_actions(client, people, submitted, role):
    response = as_(client, people, role).get(url("request", people["mine"]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Waiting for review" in page
    assert url("ask_question", people["mine"]) not in page
    assert url("mark_reviewed", people["mine"]) not in page


@pytest.mark.parametrize("role", ["outsider", "other_cor", "confluence_lead"])
def test_people_without_a_role_on_the_contract_get_404(client, people, submitted, role):
    assert as_(client, people, role).get(url("request", people["mine"])).status_code == 404


# --- Questions and answers ----------------------------------------------------------------


def test_a_question_goes_to_the_cor_and_poc_and_the_answer_returns_it_to_the_queue(
    client, people, submitted, mailoutbox
):
    mine = people["mine"]
    response = post(as_(client, people, "onboarding_team"), "ask_question", submitted,
                    text="Which SAS Viya environment does the work need?")
    assert response.status_code == 302 and response.url == url("request", mine)
    assert reload(submitted).status == Status.QUESTION
    assert audit_actions(mine)[-1] == "onboarding.ask_question"
    [email] = delivered(mailoutbox)
    assert sorted(email.to) == sorted([people["cor"].email, people["poc"].email])
    assert "Which SAS Viya environment does the work need?" in email.body
    assert "Question" in email.subject

    client.logout()
    page = text_of(as_(client, people, "cor").get(url("request", mine)))
    assert "Question for the COR" in page
    assert "Which SAS Viya environment does the work need?" in page
    assert f'action="{url("answer_question", mine)}"' in page
    assert f'href="{url("intake", mine)}"' in page
    mailoutbox.clear()
    response = post(client, "answer_question", reload(submitted), answer="The production one.")
    assert response.status_code == 302
    assert reload(submitted).status == Status.SUBMITTED
    question = Question.objects.get(request=submitted)
    assert question.answer == "The production one." and question.answered_by == people["cor"]
    assert audit_actions(mine)[-1] == "onboarding.answer_question"
    [email] = delivered(mailoutbox)
    assert people["onboarding_team"].email in email.to
    assert "The production one." in email.body

    signed_in(client, people["onboarding_team"])
    queue = client.get(reverse("onboarding:queue")).content.decode()
    assert "Mine" in queue.split('id="section-submitted"')[1].split("<section")[0]
    thread = text_of(client.get(url("request", mine)))
    assert "Which SAS Viya environment" in thread and "The production one." in thread


@pytest.mark.parametrize("role", ["cor", "poc", "team_lead", "sas_lead", "administrator"])
def test_only_the_team_asks_questions(client, people, submitted, role):
    before = snapshot(submitted)
    response = post(as_(client, people, role), "ask_question", submitted, text="Why?")
    assert response.status_code == 403
    assert snapshot(submitted) == before


def test_an_outsider_asking_gets_404(client, people, submitted):
    before = snapshot(submitted)
    response = post(as_(client, people, "outsider"), "ask_question", submitted, text="Why?")
    assert response.status_code == 404
    assert snapshot(submitted) == before


def test_an_empty_question_is_shown_as_an_error_and_nothing_is_sent(
    client, people, submitted
):
    before = snapshot(submitted)
    response = post(as_(client, people, "onboarding_team"), "ask_question", submitted,
                    text="   ")
    assert response.status_code == 400
    page = text_of(response)
    assert "<title>Error: " in page
    assert 'id="error-summary"' in page and "This field is required." in page
    assert 'href="#question_text"' in page and 'id="question_text"' in page
    assert snapshot(submitted) == before


@pytest.mark.parametrize("role", ["onboarding_team", "team_lead", "so", "sas_lead"])
def test_only_the_cor_or_poc_answers(client, people, submitted, role):
    services.ask_question(people["onboarding_team"], submitted, "Why?")
    onboarding = reload(submitted)
    before = snapshot(onboarding)
    response = post(as_(client, people, role), "answer_question", onboarding, answer="Because.")
    assert response.status_code == 403
    assert snapshot(onboarding) == before


def test_the_poc_answers_too(client, people, submitted, mailoutbox):
    services.ask_question(people["onboarding_team"], submitted, "Why?")
    response = post(as_(client, people, "poc"), "answer_question", reload(submitted),
                    answer="Because.")
    assert response.status_code == 302
    assert reload(submitted).status == Status.SUBMITTED
    assert Question.objects.get().answered_by == people["poc"]


def test_an_empty_answer_re_renders_the_page_with_the_error(client, people, submitted):
    services.ask_question(people["onboarding_team"], submitted, "Why?")
    onboarding = reload(submitted)
    before = snapshot(onboarding)
    response = post(as_(client, people, "cor"), "answer_question", onboarding, answer="")
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    assert snapshot(onboarding) == before


# --- Review and approval -------------------------------------------------------------------


def test_marking_reviewed_asks_the_team_lead(client, people, submitted, mailoutbox):
    mine = people["mine"]
    response = post(as_(client, people, "onboarding_team"), "mark_reviewed", submitted)
    assert response.status_code == 302
    onboarding = reload(submitted)
    assert onboarding.status == Status.REVIEWED
    assert onboarding.reviewed_by == people["onboarding_team"]
    assert audit_actions(mine)[-1] == "onboarding.mark_reviewed"
    [email] = delivered(mailoutbox)
    assert email.to == [people["team_lead"].email]
    assert "Approval needed" in email.subject
    page = text_of(client.get(url("request", mine)))
    assert "Marked reviewed" in page and "Waiting for team-lead approval" in page


@pytest.mark.parametrize("role", ["cor", "poc", "team_lead", "sas_lead"])
def test_only_the_team_marks_reviewed(client, people, submitted, role):
    before = snapshot(submitted)
    assert post(as_(client, people, role), "mark_reviewed", submitted).status_code == 403
    assert snapshot(submitted) == before


def test_the_team_lead_approves_and_the_team_hears(client, people, submitted, mailoutbox):
    mine = people["mine"]
    onboarding = advance(people, submitted, Status.REVIEWED)
    deliver_due()
    mailoutbox.clear()
    page = text_of(as_(client, people, "team_lead").get(url("request", mine)))
    assert f'action="{url("approve_as_lead", mine)}"' in page
    response = post(client, "approve_as_lead", onboarding)
    assert response.status_code == 302
    onboarding = reload(onboarding)
    assert onboarding.status == Status.LEAD_APPROVED
    assert onboarding.lead_approved_by == people["team_lead"]
    assert audit_actions(mine)[-1] == "onboarding.approve_as_lead"
    [email] = delivered(mailoutbox)
    assert email.to == [people["onboarding_team"].email]
    assert "Approved by the team lead" in email.subject


@pytest.mark.parametrize("role", ["onboarding_team", "administrator", "cor", "sas_lead"])
def test_only_the_team_lead_approves(client, people, submitted, role):
    onboarding = advance(people, submitted, Status.REVIEWED)
    before = snapshot(onboarding)
    assert post(as_(client, people, role), "approve_as_lead", onboarding).status_code == 403
    assert snapshot(onboarding) == before


def test_approving_a_draft_is_refused_and_changes_nothing(client, people, draft, mailoutbox):
    before = snapshot(draft)
    response = post(as_(client, people, "team_lead"), "approve_as_lead", draft)
    assert response.status_code == 302
    page = text_of(client.get(response.url))
    assert "A request that is “Draft” cannot be approved by the team lead." in page
    assert snapshot(draft) == before
    assert delivered(mailoutbox) == []


WRONG_STATUS = [
    # (action, who, status the request is in, extra form data, the message)
    ("ask_question", "onboarding_team", Status.REVIEWED, {"text": "Why?"},
     "cannot be sent a question"),
    ("mark_reviewed", "onboarding_team", Status.LEAD_APPROVED, {}, "cannot be marked reviewed"),
    ("approve_as_lead", "team_lead", Status.SUBMITTED, {}, "cannot be approved by the team lead"),
    ("answer_question", "cor", Status.SUBMITTED, {"answer": "Yes."},
     "There is no open question on this request."),
    ("meeting", "onboarding_team", Status.REVIEWED,
     {"held_on": "2026-12-02", "attendees": "Cora", "outcome": "eligible"},
     "cannot be given an eligibility meeting"),
]


@pytest.mark.parametrize("action,role,status,data,message", WRONG_STATUS,
                         ids=[w[0] for w in WRONG_STATUS])
def test_an_action_in_the_wrong_status_is_refused_with_a_clear_message(
    client, people, submitted, mailoutbox, action, role, status, data, message
):
    onboarding = advance(people, submitted, status) if status != Status.SUBMITTED else submitted
    deliver_due()
    mailoutbox.clear()
    before = snapshot(onboarding)
    response = post(as_(client, people, role), action, onboarding, **data)
    assert response.status_code == 302
    assert message in text_of(client.get(response.url))
    assert snapshot(onboarding) == before
    assert delivered(mailoutbox) == []


def test_a_stale_page_cannot_overwrite_someone_elses_change(client, people, submitted,
                                                            mailoutbox):
    seen = submitted.version
    services.ask_question(people["onboarding_team"], submitted, "First question?")
    services.answer_question(people["cor"], reload(submitted), "First answer.")
    onboarding = reload(submitted)
    assert onboarding.status == Status.SUBMITTED and onboarding.version != seen
    deliver_due()
    mailoutbox.clear()
    before = snapshot(onboarding)
    response = post(as_(client, people, "onboarding_team"), "mark_reviewed", onboarding,
                    version=seen)
    assert response.status_code == 302
    assert "Someone else changed this request" in text_of(client.get(response.url))
    assert snapshot(onboarding) == before
    assert delivered(mailoutbox) == []


def test_a_missing_version_is_bad_input_not_a_crash(client, people, submitted):
    before = snapshot(submitted)
    response = as_(client, people, "onboarding_team").post(url("mark_reviewed",
                                                              people["mine"]), {})
    assert response.status_code == 400
    assert "This page is out of date" in response.content.decode()
    assert snapshot(submitted) == before


@pytest.mark.parametrize("name", ["ask_question", "answer_question", "mark_reviewed",
                                  "approve_as_lead"])
def test_state_changing_views_refuse_get(client, people, submitted, name):
    assert as_(client, people, "onboarding_team").get(url(name, people["mine"])).status_code \
        == 405


# --- The eligibility meeting ---------------------------------------------------------------


@pytest.fixture
def two_services(people):
    """`mine` requests Confluence too: each service has its own lead."""
    item = request_service(people["mine"], "confluence")
    ContractService.objects.filter(pk=item.pk).update(
        estimated_users=3, justification="Team wiki."
    )
    return item


def test_the_meeting_asks_each_services_leads_only_about_their_service(
    client, people, two_services, submitted, mailoutbox
):
    mine = people["mine"]
    onboarding = advance(people, submitted, Status.LEAD_APPROVED)
    deliver_due()
    mailoutbox.clear()
    as_(client, people, "onboarding_team")
    page = text_of(client.get(url("request", mine)))
    assert "within 5 business days of POP start" in page
    assert "Tuesday, December 8, 2026" in page
    form_page = client.get(url("meeting", mine))
    assert form_page.status_code == 200
    assert "Tuesday, December 8, 2026" in text_of(form_page)
    response = post(client, "meeting", onboarding, held_on="2026-12-02",
                    attendees="Cora COR\nPat POC\nTess Team", outcome="eligible",
                    notes="Eligible for both.")
    assert response.status_code == 302 and response.url == url("request", mine)
    onboarding = reload(onboarding)
    assert onboarding.status == Status.SERVICE_REVIEW
    meeting = EligibilityMeeting.objects.get(request=onboarding)
    assert meeting.held_on == D(2026, 12, 2) and meeting.recorded_by == people["onboarding_team"]
    step = mine.steps.get(key="eligibility-meeting")
    assert step.completed_at is not None and step.completed_by == people["onboarding_team"]
    assert audit_actions(mine)[-2:] == ["onboarding.hold_meeting", "timeline.step_completed"]
    emails = delivered(mailoutbox)
    assert len(emails) == 3
    [told] = [e for e in emails if e.subject.startswith("Eligibility confirmed")]
    assert set(told.to) == {people["cor"].email, people["poc"].email}
    assert "- SAS Viya\n- Confluence" in told.body and "not eligible" not in told.body
    by_lead = {tuple(e.to): e for e in emails if e is not told}
    sas = by_lead[(people["sas_lead"].email,)]
    confluence = by_lead[(people["confluence_lead"].email,)]
    assert "SAS Viya" in sas.subject and "Confluence" not in sas.subject + sas.body
    assert "Confluence" in confluence.subject and "SAS Viya" not in confluence.subject
    assert "Team wiki." in confluence.body and "Analysts need SAS" in sas.body
    page = text_of(client.get(url("request", mine)))
    assert "Eligible for the requested services" in page and "Tess Team" in page
    assert '<h2 id="meeting-heading">Eligibility meeting</h2>' in page  # one meeting


def test_a_bad_meeting_record_keeps_what_was_typed(client, people, submitted):
    onboarding = advance(people, submitted, Status.LEAD_APPROVED)
    before = snapshot(onboarding)
    response = post(as_(client, people, "onboarding_team"), "meeting", onboarding,
                    held_on="2026-12-30", attendees="", outcome="eligible",
                    notes="Typed notes stay.")
    assert response.status_code == 400
    page = text_of(response)
    assert "<title>Error: " in page and "There are 2 problems" in page
    assert "the date is ahead" in page and "Typed notes stay." in page
    assert snapshot(onboarding) == before


@pytest.mark.parametrize("role", ["team_lead", "cor", "sas_lead"])
def test_only_the_team_records_the_meeting(client, people, submitted, role):
    onboarding = advance(people, submitted, Status.LEAD_APPROVED)
    before = snapshot(onboarding)
    response = post(as_(client, people, role), "meeting", onboarding, held_on="2026-12-02",
                    attendees="Cora", outcome="eligible")
    assert response.status_code == 403
    assert client.get(url("meeting", people["mine"])).status_code == 403
    assert snapshot(onboarding) == before


def test_eligible_for_some_services_asks_only_those_leads_and_closes_the_others(
    client, people, two_services, submitted, mailoutbox
):
    mine = people["mine"]
    onboarding = advance(people, submitted, Status.LEAD_APPROVED)
    deliver_due()
    mailoutbox.clear()
    sas = mine.services.get(service__slug="sas-viya")
    as_(client, people, "onboarding_team")
    form = text_of(client.get(url("meeting", mine)))
    assert "Services the contractor is eligible for" in form
    assert f'value="{sas.pk}"' in form and f'value="{two_services.pk}"' in form
    response = post(client, "meeting", onboarding, held_on="2026-12-02",
                    attendees="Cora COR\nTess Team", outcome="partly", eligible=[two_services.pk],
                    notes="No analytics work in the statement of work: SAS Viya is not needed.")
    assert response.status_code == 302
    assert "the other services are closed as not eligible" in text_of(client.get(response.url))
    assert reload(onboarding).status == Status.SERVICE_REVIEW
    sas.refresh_from_db()
    assert sas.status == ContractService.Status.DENIED
    assert sas.decided_by == people["onboarding_team"]
    assert sas.decision_reason.startswith("Not eligible (eligibility meeting on December 2, 2026)")
    assert "SAS Viya is not needed" in sas.decision_reason
    two_services.refresh_from_db()
    assert two_services.status == ContractService.Status.REQUESTED
    assert mine.steps.get(key="eligibility-meeting").completed_at is not None
    assert "onboarding.service_not_eligible" in audit_actions(mine)
    emails = delivered(mailoutbox)
    to_leads = [e for e in emails if e.subject.startswith("Decision needed")]
    assert [e.to for e in to_leads] == [[people["confluence_lead"].email]]
    [told] = [e for e in emails if e.subject.startswith("Eligibility confirmed")]
    assert set(told.to) == {people["cor"].email, people["poc"].email}
    assert "approval:\n- Confluence\n" in told.body
    assert "Closed as not eligible:\n- SAS Viya\n" in told.body
    assert "SAS Viya is not needed" in told.body
    assert not any(people["sas_lead"].email in e.to for e in emails)
    # The last lead's decision completes the request: the closed service is not waited for.
    services.decide_service(people["confluence_lead"], two_services, approve=True)
    assert reload(onboarding).status == Status.APPROVED


def test_not_eligible_returns_the_request_to_the_cor_and_a_later_meeting_sends_it_on(
    client, people, submitted, mailoutbox
):
    mine = people["mine"]
    onboarding = advance(people, submitted, Status.LEAD_APPROVED)
    deliver_due()
    mailoutbox.clear()
    response = post(as_(client, people, "onboarding_team"), "meeting", onboarding,
                    held_on="2026-12-02", attendees="Cora COR\nTess Team",
                    outcome="not_eligible", notes="The work needs no CCSQ data: request "
                    "Confluence instead of SAS Viya.")
    assert response.status_code == 302
    assert "back with the COR and POC" in text_of(client.get(response.url))
    onboarding = reload(onboarding)
    assert onboarding.status == Status.QUESTION
    assert mine.services.get().status == ContractService.Status.REQUESTED  # left to change
    assert mine.steps.get(key="eligibility-meeting").completed_at is None  # still to hold
    assert audit_actions(mine)[-1] == "onboarding.return_not_eligible"
    emails = delivered(mailoutbox)
    assert len(emails) == 1
    assert set(emails[0].to) == {people["cor"].email, people["poc"].email}
    assert emails[0].subject == f"Not eligible: the intake for {mine.name} is back with you"
    assert "request Confluence instead of SAS Viya" in emails[0].body
    assert not any(people["sas_lead"].email in e.to + e.cc for e in emails)
    # The COR sees why, on the request, and may change the intake and answer.
    page = text_of(as_(client, people, "cor").get(url("request", mine)))
    assert "found the contractor not eligible" in page and "Your answer" in page
    assert permissions.may_edit_intake(people["cor"], onboarding)
    services.answer_question(people["cor"], onboarding, "Changed to Confluence.")
    onboarding = advance(people, reload(onboarding), Status.SERVICE_REVIEW)
    assert EligibilityMeeting.objects.filter(request=onboarding).count() == 2
    page = text_of(as_(client, people, "onboarding_team").get(url("request", mine)))
    assert "Eligibility meetings" in page and "Latest: " in page
    assert mine.steps.get(key="eligibility-meeting").completed_at is not None


@pytest.mark.parametrize(
    ("fields", "field_error"),
    [
        ({"outcome": "not_eligible", "notes": ""}, "Say why the contractor is not eligible."),
        ({"outcome": "partly", "notes": "Only wiki."}, "Choose the services the contractor"),
        ({"outcome": "partly", "notes": "Both?", "eligible": "all"}, "Leave out the services"),
        ({"outcome": "eligible", "notes": "", "eligible": "sas"}, "Choose services only with"),
    ],
)
def test_an_inconsistent_meeting_outcome_is_explained_and_changes_nothing(
    client, people, two_services, submitted, fields, field_error
):
    onboarding = advance(people, submitted, Status.LEAD_APPROVED)
    sas = people["mine"].services.get(service__slug="sas-viya")
    chosen = {"all": [sas.pk, two_services.pk], "sas": [sas.pk]}.get(fields.pop("eligible", ""))
    before = snapshot(onboarding)
    response = post(as_(client, people, "onboarding_team"), "meeting", onboarding,
                    held_on="2026-12-02", attendees="Cora COR", eligible=chosen or [], **fields)
    assert response.status_code == 400
    page = text_of(response)
    assert "<title>Error: " in page and field_error in page
    assert "Cora COR" in page  # what was typed stays
    assert snapshot(onboarding) == before
    assert set(people["mine"].services.values_list("status", flat=True)) == {"requested"}


def test_the_service_refuses_an_eligible_list_outside_the_request(people, two_services,
                                                                  submitted):
    onboarding = advance(people, submitted, Status.LEAD_APPROVED)
    before = snapshot(onboarding)
    other = request_service(people["other"], "sas-viya")
    with pytest.raises(services.OnboardingError, match="eligible for"):
        services.record_meeting(people["onboarding_team"], onboarding, services.MeetingRecord(
            held_on=SUBMITTED_ON, attendees="Cora", outcome="partly", notes="Some.",
            eligible=(other.pk,)))
    assert snapshot(onboarding) == before


def test_recording_the_meeting_twice_is_refused_not_a_crash(client, people, submitted):
    onboarding = advance(people, submitted, Status.SERVICE_REVIEW)
    before = snapshot(onboarding)
    response = post(as_(client, people, "onboarding_team"), "meeting", onboarding,
                    held_on="2026-12-02", attendees="Cora", outcome="eligible")
    assert response.status_code == 302
    assert "cannot be given an eligibility meeting" in text_of(client.get(response.url))
    assert snapshot(onboarding) == before
    assert client.get(url("meeting", people["mine"])).status_code == 302


# --- Service leads' decisions --------------------------------------------------------------


DECISIONS = reverse("onboarding:decisions")


def decide_url(item):
    return reverse("onboarding:decide", args=[item.pk])


def test_a_lead_sees_only_their_services_waiting(client, people, two_services, submitted):
    advance(people, submitted, Status.SERVICE_REVIEW)
    sas_item = people["mine"].services.get(service__slug="sas-viya")
    page = text_of(as_(client, people, "sas_lead").get(DECISIONS))
    assert "SAS Viya for" in page and "Confluence for" not in page
    assert "Acme Analytics LLC" in page and "Analysts need SAS" in page and ">12<" in page
    assert "Eligible for the requested services" in page
    assert f'action="{decide_url(sas_item)}"' in page
    page = text_of(as_(client, people, "confluence_lead").get(DECISIONS))
    assert "Confluence for" in page and "SAS Viya for" not in page


def test_nothing_waits_before_the_meeting(client, people, submitted):
    advance(people, submitted, Status.LEAD_APPROVED)
    page = text_of(as_(client, people, "sas_lead").get(DECISIONS))
    assert "Nothing is waiting for your decision." in page


@pytest.mark.parametrize("role", ["onboarding_team", "team_lead", "administrator", "cor",
                                  "outsider"])
def test_the_decisions_page_is_for_service_leads_only(client, people, role):
    assert as_(client, people, role).get(DECISIONS).status_code == 403


def test_each_decision_emails_and_the_last_completes_the_request(
    client, people, two_services, submitted, mailoutbox
):
    mine = people["mine"]
    onboarding = advance(people, submitted, Status.SERVICE_REVIEW)
    deliver_due()
    mailoutbox.clear()
    sas_item = mine.services.get(service__slug="sas-viya")
    response = as_(client, people, "sas_lead").post(decide_url(sas_item),
                                                    {"decision": "approve", "reason": ""})
    assert response.status_code == 302 and response.url == DECISIONS
    assert reload(onboarding).status == Status.SERVICE_REVIEW
    [email] = delivered(mailoutbox)
    assert email.to == [people["onboarding_team"].email]
    assert sorted(email.cc) == sorted([people["cor"].email, people["poc"].email])
    assert "SAS Viya approved" in email.subject
    page = text_of(client.get(DECISIONS))
    assert "SAS Viya approved for Mine" in page  # the message
    assert "Your recent decisions" in page and "Nothing is waiting" in page
    assert audit_actions(mine)[-1] == "onboarding.service_decided"

    mailoutbox.clear()
    confluence_item = mine.services.get(service__slug="confluence")
    response = as_(client, people, "confluence_lead").post(
        decide_url(confluence_item), {"decision": "deny", "reason": "No wiki for this work."}
    )
    assert response.status_code == 302
    confluence_item.refresh_from_db()
    assert confluence_item.status == ContractService.Status.DENIED
    assert confluence_item.decision_reason == "No wiki for this work."
    assert reload(onboarding).status == Status.APPROVED
    assert audit_actions(mine)[-2:] == ["onboarding.service_decided",
                                        "onboarding.finish_service_review"]
    emails = delivered(mailoutbox)
    assert len(emails) == 2
    decided = next(e for e in emails if "Confluence denied" in e.subject)
    assert "No wiki for this work." in decided.body
    complete = next(e for e in emails if "complete" in e.subject)
    assert sorted(complete.to) == sorted([people["cor"].email, people["poc"].email])
    assert "SAS Viya: Approved" in complete.body and "Confluence: Denied" in complete.body
    as_(client, people, "onboarding_team")
    queue = client.get(reverse("onboarding:queue")).content.decode()
    assert "Mine" in queue.split('id="section-approved"')[1]
    page = text_of(client.get(url("request", mine)))
    assert "Reason: No wiki for this work." in page


def test_a_denial_needs_a_reason(client, people, submitted, mailoutbox):
    onboarding = advance(people, submitted, Status.SERVICE_REVIEW)
    item = people["mine"].services.get()
    before = snapshot(onboarding)
    response = as_(client, people, "sas_lead").post(decide_url(item),
                                                    {"decision": "deny", "reason": "  "})
    assert response.status_code == 400
    page = text_of(response)
    assert "<title>Error: " in page and "Give the reason for the denial." in page
    assert f'href="#decide{item.pk}_reason"' in page
    item.refresh_from_db()
    assert item.status == ContractService.Status.REQUESTED
    assert snapshot(onboarding) == before


def test_a_lead_of_another_service_on_the_contract_gets_403(client, people, two_services,
                                                            submitted):
    onboarding = advance(people, submitted, Status.SERVICE_REVIEW)
    item = people["mine"].services.get(service__slug="sas-viya")
    before = snapshot(onboarding)
    response = as_(client, people, "confluence_lead").post(decide_url(item),
                                                           {"decision": "approve"})
    assert response.status_code == 403
    assert snapshot(onboarding) == before


def test_a_lead_who_cannot_see_the_contract_gets_404(client, people, submitted):
    onboarding = advance(people, submitted, Status.SERVICE_REVIEW)
    item = people["mine"].services.get()
    before = snapshot(onboarding)
    response = as_(client, people, "confluence_lead").post(decide_url(item),
                                                           {"decision": "approve"})
    assert response.status_code == 404
    assert snapshot(onboarding) == before


@pytest.mark.parametrize("role", ["onboarding_team", "team_lead", "cor"])
def test_no_one_but_a_service_lead_decides(client, people, submitted, role):
    onboarding = advance(people, submitted, Status.SERVICE_REVIEW)
    item = people["mine"].services.get()
    before = snapshot(onboarding)
    response = as_(client, people, role).post(decide_url(item), {"decision": "approve"})
    assert response.status_code == 403
    assert snapshot(onboarding) == before


def test_deciding_before_the_meeting_is_refused(client, people, submitted, mailoutbox):
    onboarding = advance(people, submitted, Status.LEAD_APPROVED)
    deliver_due()
    mailoutbox.clear()
    item = people["mine"].services.get()
    before = snapshot(onboarding)
    response = as_(client, people, "sas_lead").post(decide_url(item), {"decision": "approve"})
    assert response.status_code == 302
    assert "not waiting for service decisions" in text_of(client.get(DECISIONS))
    assert snapshot(onboarding) == before
    assert delivered(mailoutbox) == []


def test_deciding_twice_is_refused(client, people, two_services, submitted):
    advance(people, submitted, Status.SERVICE_REVIEW)
    item = people["mine"].services.get(service__slug="sas-viya")
    as_(client, people, "sas_lead").post(decide_url(item), {"decision": "approve"})
    response = client.post(decide_url(item), {"decision": "deny", "reason": "Changed my mind"})
    assert response.status_code == 302
    assert "SAS Viya was already approved." in text_of(client.get(DECISIONS))
    item.refresh_from_db()
    assert item.status == ContractService.Status.APPROVED


def test_deciding_refuses_get(client, people, submitted):
    item = people["mine"].services.get()
    assert as_(client, people, "sas_lead").get(decide_url(item)).status_code == 405


# --- The whole review, through HTTP ----------------------------------------------------------


def test_from_submission_to_every_service_decided(client, people, submitted, mailoutbox):
    mine = people["mine"]
    as_(client, people, "onboarding_team")
    assert post(client, "mark_reviewed", reload(submitted)).status_code == 302
    as_(client, people, "team_lead")
    assert post(client, "approve_as_lead", reload(submitted)).status_code == 302
    as_(client, people, "onboarding_team")
    assert post(client, "meeting", reload(submitted), held_on="2026-12-02",
                attendees="Cora COR", outcome="eligible").status_code == 302
    item = mine.services.get()
    as_(client, people, "sas_lead")
    assert client.post(decide_url(item), {"decision": "approve"}).status_code == 302
    assert reload(submitted).status == Status.APPROVED
    assert [a for a in audit_actions(mine) if a.startswith("onboarding.")][-5:] == [
        "onboarding.mark_reviewed", "onboarding.approve_as_lead", "onboarding.hold_meeting",
        "onboarding.service_decided", "onboarding.finish_service_review",
    ]
    templates = [e.template for e in OutboxEmail.objects.filter(contract=mine).order_by("id")]
    assert templates[-6:] == ["lead_approval_requested", "lead_approved",
                              "service_approval_requested", "meeting_recorded",
                              "service_decided", "request_complete"]
    assert len(delivered(mailoutbox)) == 6
