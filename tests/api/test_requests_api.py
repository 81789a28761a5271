"""Onboarding and additional-service requests through the REST API (/api/v1/requests), per
role: what each person reads, the decisions their role allows (the pages' own service
functions and permission checks), and every refusal as a problem: 403/404 as the pages,
422 naming the field (nothing stored), 409 for a rule of the moment, 403 for a read-only
token. The emails and audit records the page's action makes happen through the API too,
and the audit record says it came through the API."""

import pytest

from muster.access import additional
from muster.access.models import AdditionalServiceRequest
from muster.accounts.models import TeamRole
from muster.api.models import ApiToken
from muster.audit.models import AuditEvent
from muster.catalog.models import Service
from muster.contracts.models import ContractService
from muster.notifications.models import OutboxEmail
from muster.onboarding import services
from muster.onboarding.models import OnboardingRequest, Question, Status
from tests.api.conftest import api_client, token_for
from tests.factories import activate, team_member
from tests.onboarding.test_review import SUBMITTED_ON, advance, complete_intake, reload

pytestmark = pytest.mark.django_db
JSON = "application/json"


def as_(people, role, scope=ApiToken.Scope.READ_WRITE):
    return api_client(token_for(people[role], scope=scope))


def post(client, path, body=None):
    return client.post(path, body or {}, content_type=JSON)


def state(onboarding) -> tuple:
    """What a refused action must leave as it was."""
    row = reload(onboarding)
    items = tuple(ContractService.objects.filter(contract=row.contract)
                  .order_by("pk").values_list("status", "decision_reason"))
    return (row.status, row.version, items, Question.objects.filter(request=row).count(),
            changes_recorded(), OutboxEmail.objects.count())


def changes_recorded() -> int:
    """Audit events, but for the tokens a test issues to call with."""
    return AuditEvent.objects.exclude(action="api.token_issued").count()


def latest_event(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).latest("id")


def assert_problem(response, status: int, field: str | None = None):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    if field is not None:  # as the caller sent it (after the body's name, "payload.")
        named = [e["field"].removeprefix("payload.") for e in response.json()["errors"]]
        assert field in named, response.json()


@pytest.fixture
def submitted(people, freeze_today):
    """`mine`'s onboarding request, submitted by the COR (SAS Viya requested)."""
    freeze_today(SUBMITTED_ON)
    draft = complete_intake(people["mine"], people)
    services.submit(people["cor"], draft)
    return reload(draft)


@pytest.fixture
def in_service_review(people, submitted):
    return advance(people, submitted, Status.SERVICE_REVIEW)


@pytest.fixture
def reviewed(people, submitted):
    return advance(people, submitted, Status.REVIEWED)


def item_of(onboarding) -> ContractService:
    return ContractService.objects.get(contract=onboarding.contract)


# --- Reading onboarding requests ---------------------------------------------------------


def test_each_person_lists_only_the_onboarding_requests_of_contracts_they_see(people,
                                                                              submitted):
    other = OnboardingRequest.objects.create(contract=people["other"],
                                             created_by=people["other_cor"])

    def ids(role):
        response = as_(people, role).get("/api/v1/requests/onboarding")
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    assert ids("cor") == ids("poc") == ids("sas_lead") == {submitted.pk}
    assert ids("other_cor") == ids("confluence_lead") == {other.pk}
    assert ids("onboarding_team") == ids("administrator") == {submitted.pk, other.pk}
    assert ids("outsider") == ids("contractor_user") == set()


def test_a_request_shows_its_status_services_decisions_questions_and_what_i_may_do(
        people, submitted):
    services.ask_question(people["onboarding_team"], submitted, "How many users at first?")

    as_team = as_(people, "onboarding_team").get(f"/api/v1/requests/onboarding/{submitted.pk}")
    as_cor = as_(people, "cor").get(f"/api/v1/requests/onboarding/{submitted.pk}")

    assert as_cor.status_code == 200
    body = as_cor.json()
    assert body["status"] == "question" and body["contract_id"] == people["mine"].pk
    assert [(s["service"], s["status"]) for s in body["services"]] == [("sas-viya",
                                                                        "requested")]
    assert [q["text"] for q in body["questions"]] == ["How many users at first?"]
    assert "answer_question" in body["actions"] and "ask_question" not in body["actions"]
    assert "cancel" in as_team.json()["actions"]


@pytest.mark.parametrize("role", ["outsider", "contractor_user", "other_cor",
                                  "confluence_lead"])
def test_a_request_of_a_contract_i_do_not_see_is_not_found(people, submitted, role):
    response = as_(people, role).get(f"/api/v1/requests/onboarding/{submitted.pk}")

    assert_problem(response, 404)


def test_the_onboarding_list_takes_as_many_queries_for_many_requests_as_for_few(
        people, submitted, django_assert_num_queries):
    client = as_(people, "onboarding_team")
    client.get("/api/v1/requests/onboarding")  # the token's first use is noted once
    with django_assert_num_queries(3) as few:
        assert len(client.get("/api/v1/requests/onboarding").json()["results"]) == 1
    for n in range(5):
        OnboardingRequest.objects.create(contract=people["other"] if n == 0 else
                                         _contract(n), created_by=people["cor"])
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/v1/requests/onboarding").json()["results"]) == 6


def _contract(n):
    from tests.factories import make_contract

    return make_contract(name=f"More {n}")


# --- A service lead decides a requested service --------------------------------------------


def test_the_service_lead_approves_a_service_through_the_api(people, in_service_review):
    item = item_of(in_service_review)

    response = post(as_(people, "sas_lead"),
                    f"/api/v1/requests/requested-services/{item.pk}/decision",
                    {"decision": "approve"})

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    assert response.json()["request_status"] == Status.APPROVED  # the last decision
    item.refresh_from_db()
    assert item.status == ContractService.Status.APPROVED
    assert item.decided_by == people["sas_lead"]
    decided = latest_event("onboarding.service_decided")
    assert decided.channel == "api" and decided.actor == people["sas_lead"]
    assert OutboxEmail.objects.filter(key=f"service-decided:{item.pk}").exists()
    assert OutboxEmail.objects.filter(key=f"request-complete:{in_service_review.pk}").exists()


def test_a_denial_needs_a_reason_and_nothing_is_stored_without_one(people, in_service_review):
    item = item_of(in_service_review)
    before = state(in_service_review)
    client = as_(people, "sas_lead")
    path = f"/api/v1/requests/requested-services/{item.pk}/decision"

    refused = post(client, path, {"decision": "deny", "reason": "   "})
    assert_problem(refused, 422, "reason")
    assert state(in_service_review) == before

    denied = post(client, path, {"decision": "deny", "reason": "No DUA training yet."})
    assert denied.status_code == 200
    assert denied.json()["status"] == "denied"
    assert denied.json()["reason"] == "No DUA training yet."
    assert latest_event("onboarding.service_decided").channel == "api"


@pytest.mark.parametrize("body", [{"decision": "maybe"}, {}, {"decision": "approve",
                                                              "reason": "x" * 5000}])
def test_a_decision_that_is_not_one_is_invalid_input(people, in_service_review, body):
    item = item_of(in_service_review)
    before = state(in_service_review)

    response = post(as_(people, "sas_lead"),
                    f"/api/v1/requests/requested-services/{item.pk}/decision", body)

    assert_problem(response, 422)
    assert state(in_service_review) == before


@pytest.mark.parametrize("role, status", [("onboarding_team", 403), ("cor", 403),
                                          ("team_lead", 403), ("confluence_lead", 404),
                                          ("outsider", 404), ("so", 403)])
def test_only_a_lead_of_the_service_decides_it(people, in_service_review, role, status):
    item = item_of(in_service_review)
    before = state(in_service_review)

    response = post(as_(people, role),
                    f"/api/v1/requests/requested-services/{item.pk}/decision",
                    {"decision": "approve"})

    assert_problem(response, status)
    assert state(in_service_review) == before


def test_a_decision_before_the_service_review_is_refused_as_not_possible_now(people,
                                                                            submitted):
    before = state(submitted)

    response = post(as_(people, "sas_lead"),
                    f"/api/v1/requests/requested-services/{item_of(submitted).pk}/decision",
                    {"decision": "approve"})

    assert_problem(response, 409)
    assert "not waiting for service decisions" in response.json()["detail"]
    assert state(submitted) == before


def test_a_read_only_token_decides_nothing(people, in_service_review):
    item = item_of(in_service_review)
    before = state(in_service_review)

    response = post(as_(people, "sas_lead", ApiToken.Scope.READ),
                    f"/api/v1/requests/requested-services/{item.pk}/decision",
                    {"decision": "approve"})

    assert_problem(response, 403)
    assert state(in_service_review) == before


# --- The team asks a question; the team lead approves, sends back or rejects -------------


def test_the_team_asks_a_question_through_the_api(people, submitted):
    response = post(as_(people, "onboarding_team"),
                    f"/api/v1/requests/onboarding/{submitted.pk}/questions",
                    {"text": "Which analysts need SAS?", "version": submitted.version})

    assert response.status_code == 201, response.content
    assert response.json()["status"] == "question"
    assert response.json()["questions"][-1]["text"] == "Which analysts need SAS?"
    question = Question.objects.get(request=submitted)
    assert OutboxEmail.objects.filter(key=f"question:{question.pk}").exists()
    assert latest_event("onboarding.ask_question").channel == "api"


@pytest.mark.parametrize("body, field", [({"text": "  "}, "text"), ({}, "text"),
                                         ({"text": "Why?", "version": 0}, "version")])
def test_a_question_without_words_is_invalid_input(people, submitted, body, field):
    before = state(submitted)

    response = post(as_(people, "onboarding_team"),
                    f"/api/v1/requests/onboarding/{submitted.pk}/questions", body)

    assert_problem(response, 422, field)
    assert state(submitted) == before


def test_a_question_on_a_request_past_review_or_from_a_stale_version_is_refused(people,
                                                                               reviewed):
    before = state(reviewed)
    client = as_(people, "onboarding_team")
    path = f"/api/v1/requests/onboarding/{reviewed.pk}/questions"

    assert_problem(post(client, path, {"text": "Why?"}), 409)
    assert_problem(post(client, path, {"text": "Why?", "version": reviewed.version - 1}), 409)
    assert state(reviewed) == before


@pytest.mark.parametrize("role, status", [("cor", 403), ("team_lead", 403),
                                          ("sas_lead", 403), ("outsider", 404)])
def test_only_the_team_asks_questions(people, submitted, role, status):
    before = state(submitted)

    response = post(as_(people, role), f"/api/v1/requests/onboarding/{submitted.pk}/questions",
                    {"text": "Forged?"})

    assert_problem(response, status)
    assert state(submitted) == before


def test_the_team_lead_approves_a_reviewed_request(people, reviewed):
    response = post(as_(people, "team_lead"),
                    f"/api/v1/requests/onboarding/{reviewed.pk}/lead-approval",
                    {"version": reviewed.version})

    assert response.status_code == 200, response.content
    assert response.json()["status"] == Status.LEAD_APPROVED
    assert reload(reviewed).lead_approved_by == people["team_lead"]
    assert latest_event("onboarding.approve_as_lead").channel == "api"
    assert OutboxEmail.objects.filter(key__startswith=f"lead-approved:{reviewed.pk}:").exists()


def test_the_team_lead_cannot_approve_what_is_not_reviewed_and_no_one_else_can(people,
                                                                              submitted):
    before = state(submitted)
    path = f"/api/v1/requests/onboarding/{submitted.pk}/lead-approval"

    assert_problem(post(as_(people, "team_lead"), path), 409)
    assert_problem(post(as_(people, "onboarding_team"), path), 403)
    assert_problem(post(as_(people, "cor"), path), 403)
    assert_problem(post(as_(people, "outsider"), path), 404)
    assert state(submitted) == before


def test_the_team_lead_sends_back_or_rejects_with_a_reason(people, reviewed):
    client = as_(people, "team_lead")
    path = f"/api/v1/requests/onboarding/{reviewed.pk}/lead-return"
    before = state(reviewed)

    assert_problem(post(client, path, {"decision": "reject", "reason": ""}), 422, "reason")
    assert_problem(post(client, path, {"decision": "later", "reason": "x"}), 422, "decision")
    assert state(reviewed) == before

    sent_back = post(client, path, {"decision": "send_back", "reason": "Check the DUA."})
    assert sent_back.status_code == 200, sent_back.content
    assert sent_back.json()["status"] == Status.SUBMITTED
    assert sent_back.json()["changes"][0]["reason"] == "Check the DUA."
    assert latest_event("onboarding.send_back").channel == "api"
    assert OutboxEmail.objects.filter(key__startswith="lead-sent-back:").exists()


def test_a_rejection_by_the_team_lead_is_final(people, reviewed):
    response = post(as_(people, "team_lead"),
                    f"/api/v1/requests/onboarding/{reviewed.pk}/lead-return",
                    {"decision": "reject", "reason": "Not an eligible contract."})

    assert response.status_code == 200
    assert response.json()["status"] == Status.REJECTED
    assert latest_event("onboarding.reject").channel == "api"
    assert OutboxEmail.objects.filter(key__startswith="lead-rejected:").exists()


# --- Additional-service requests -----------------------------------------------------------


@pytest.fixture
def slack_lead(db):
    return team_member(TeamRole.Role.SERVICE_LEAD, service=Service.objects.get(slug="slack"))


@pytest.fixture
def asked(people, freeze_today):
    """The POC asks for Slack on `mine` (active): waiting for the COR."""
    freeze_today(SUBMITTED_ON)
    mine = activate(people["mine"])
    return additional.request_service(
        people["poc"], mine, service=Service.objects.get(slug="slack"),
        organization_name="ACME ANALYTICS", justification="Chat for the team.",
        estimated_users=3)


@pytest.fixture
def with_leads(people, asked):
    return additional.cor_decide(people["cor"], asked, True, "Yes.")


def req_state(req) -> tuple:
    row = AdditionalServiceRequest.objects.get(pk=req.pk)
    return (row.status, row.version, row.cor_note, row.decision_reason,
            changes_recorded(), OutboxEmail.objects.count(),
            ContractService.objects.filter(contract=row.contract).count())


def test_additional_requests_are_listed_for_who_sees_them_on_the_pages(people, asked,
                                                                      slack_lead):
    def ids(client):
        response = client.get("/api/v1/requests/additional")
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    for role in ("cor", "poc", "so", "spoc"):
        assert ids(as_(people, role)) == [asked.pk]
    # Before the COR's approval, neither the team nor the service's lead sees it.
    for role in ("onboarding_team", "sas_lead", "outsider", "other_cor", "contractor_user"):
        assert ids(as_(people, role)) == []
    assert ids(api_client(token_for(slack_lead))) == []
    additional.cor_decide(people["cor"], asked, True, "")
    assert ids(as_(people, "onboarding_team")) == [asked.pk]
    assert ids(api_client(token_for(slack_lead))) == [asked.pk]


def test_an_additional_request_shows_its_state_and_what_i_may_do(people, asked):
    response = as_(people, "cor").get(f"/api/v1/requests/additional/{asked.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "awaiting_cor" and body["service"] == "slack"
    assert body["estimated_users"] == 3 and body["requested_by"] == people["poc"].full_name
    assert set(body["actions"]) == {"approve_as_cor", "decline_as_cor"}
    assert as_(people, "poc").get(f"/api/v1/requests/additional/{asked.pk}").json()[
        "actions"] == []
    assert_problem(as_(people, "outsider").get(f"/api/v1/requests/additional/{asked.pk}"), 404)
    assert_problem(as_(people, "onboarding_team").get(
        f"/api/v1/requests/additional/{asked.pk}"), 404)


def test_the_additional_list_takes_as_many_queries_for_many_requests_as_for_few(
        people, asked, django_assert_num_queries):
    client = as_(people, "poc")
    client.get("/api/v1/requests/additional")
    with django_assert_num_queries(3) as few:
        assert len(client.get("/api/v1/requests/additional").json()["results"]) == 1
    for slug in ("confluence", "jira-service-management", "pecos"):
        additional.request_service(
            people["so"], people["mine"], service=Service.objects.get(slug=slug),
            organization_name="ACME", justification="Needed.", estimated_users=2)
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/v1/requests/additional").json()["results"]) == 4


def test_the_cor_approves_an_additional_request_through_the_api(people, asked):
    response = post(as_(people, "cor"), f"/api/v1/requests/additional/{asked.pk}/cor-decision",
                    {"decision": "approve", "version": asked.version})

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "awaiting_leads"
    assert response.json()["cor_decided_by"] == people["cor"].full_name
    assert latest_event("access.service_request_cor_approved").channel == "api"
    assert OutboxEmail.objects.filter(key=f"service-request:{asked.pk}:leads").exists()


def test_the_cor_declines_only_with_a_note(people, asked):
    client = as_(people, "cor")
    path = f"/api/v1/requests/additional/{asked.pk}/cor-decision"
    before = req_state(asked)

    assert_problem(post(client, path, {"decision": "decline"}), 422, "note")
    assert req_state(asked) == before

    declined = post(client, path, {"decision": "decline", "note": "Use Teams instead."})
    assert declined.status_code == 200
    assert declined.json()["status"] == "withdrawn"  # "Declined by the COR"
    assert declined.json()["cor_note"] == "Use Teams instead."
    assert latest_event("access.service_request_cor_declined").channel == "api"
    assert OutboxEmail.objects.filter(key=f"service-request:{asked.pk}:declined").exists()


@pytest.mark.parametrize("role, status", [("poc", 403), ("so", 403), ("outsider", 404),
                                          ("other_cor", 404), ("onboarding_team", 404)])
def test_only_the_contracts_cor_decides_as_cor(people, asked, role, status):
    before = req_state(asked)

    response = post(as_(people, role), f"/api/v1/requests/additional/{asked.pk}/cor-decision",
                    {"decision": "approve"})

    assert_problem(response, status)
    assert req_state(asked) == before


def test_the_cors_decision_once_given_is_not_possible_again(people, with_leads):
    before = req_state(with_leads)

    response = post(as_(people, "cor"),
                    f"/api/v1/requests/additional/{with_leads.pk}/cor-decision",
                    {"decision": "approve"})

    assert_problem(response, 409)
    assert req_state(with_leads) == before


def test_the_service_lead_approves_an_additional_request(people, with_leads, slack_lead):
    response = post(api_client(token_for(slack_lead)),
                    f"/api/v1/requests/additional/{with_leads.pk}/lead-decision",
                    {"decision": "approve", "version": with_leads.version})

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    assert people["mine"].services.get(service__slug="slack").status == "approved"
    assert latest_event("access.service_request_approved").channel == "api"
    assert latest_event("contracts.service_added").channel == "api"
    assert OutboxEmail.objects.filter(key=f"service-request:{with_leads.pk}:decided").exists()


def test_the_service_lead_denies_only_with_a_reason(people, with_leads, slack_lead):
    client = api_client(token_for(slack_lead))
    path = f"/api/v1/requests/additional/{with_leads.pk}/lead-decision"
    before = req_state(with_leads)

    assert_problem(post(client, path, {"decision": "deny"}), 422, "reason")
    assert_problem(post(client, path, {"decision": "deny", "reason": "x",
                                       "version": with_leads.version + 1}), 409)
    assert req_state(with_leads) == before

    denied = post(client, path, {"decision": "deny", "reason": "Slack is full."})
    assert denied.status_code == 200
    assert denied.json()["status"] == "denied" and denied.json()["reason"] == "Slack is full."
    assert latest_event("access.service_request_denied").channel == "api"


@pytest.mark.parametrize("role, status", [("cor", 403), ("onboarding_team", 403),
                                          ("sas_lead", 403), ("outsider", 404)])
def test_only_a_lead_of_the_requested_service_decides_it(people, with_leads, role, status):
    before = req_state(with_leads)

    response = post(as_(people, role),
                    f"/api/v1/requests/additional/{with_leads.pk}/lead-decision",
                    {"decision": "approve"})

    assert_problem(response, status)
    assert req_state(with_leads) == before


def test_a_read_only_token_cannot_decide_an_additional_request(people, asked):
    before = req_state(asked)

    response = post(as_(people, "cor", ApiToken.Scope.READ),
                    f"/api/v1/requests/additional/{asked.pk}/cor-decision",
                    {"decision": "approve"})

    assert_problem(response, 403)
    assert req_state(asked) == before


def test_a_body_that_is_not_json_is_a_422_problem_and_decides_nothing(people,
                                                                      in_service_review):
    item = item_of(in_service_review)
    before = state(in_service_review)

    response = as_(people, "sas_lead").post(
        f"/api/v1/requests/requested-services/{item.pk}/decision", "\x00{", content_type=JSON)

    assert_problem(response, 422, "body")
    assert state(in_service_review) == before
