"""The shapes of requests, decisions, rosters and grants in the API: what is read (`...Out`,
built from the rows the pages read) and what is sent (`...In`). The limits of the sent
texts are the pages' forms' own (muster.validators); the forms then check the rest."""

import datetime
from typing import Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from muster.accounts.models import HARP_ID_RE
from muster.validators import EMAIL_MAX, LONG_TEXT_MAX, NAME_MAX, SHORT_TEXT_MAX

VERSION = Field(None, ge=1, description=(
    "The request's version you saw (`version` in its answer). When given, a change made "
    "since is refused (409) instead of decided over."))


# A text that must say something: at least one character that is not white space (as
# JSON Schema reads a pattern: found anywhere in the text).
NOT_BLANK = r"\S"


def required_with(decision: str, field: str) -> ConfigDict:
    """The JSON Schema of a decision whose `decision` value needs a text in `field` (a
    denial's reason): the page's form checks it (a 422); the schema says so to clients."""
    return ConfigDict(json_schema_extra={
        "if": {"properties": {"decision": {"const": decision}}, "required": ["decision"]},
        "then": {"required": [field], "properties": {field: {"pattern": NOT_BLANK}}},
    })


def _name(person) -> str | None:
    return person.full_name if person is not None else None


# --- Onboarding requests -----------------------------------------------------------------


class RequestedService(Schema):
    """A service the onboarding request asks for, and its lead's decision."""

    id: int
    service: str = Field(description="The service's slug, e.g. sas-viya.")
    service_name: str
    status: str = Field(description="requested, approved or denied.")
    estimated_users: int | None
    justification: str
    decided_at: datetime.datetime | None
    decided_by: str | None
    reason: str = Field(description="The reason given with the decision (always with a "
                                    "denial).")

    @staticmethod
    def resolve_service(item) -> str:
        return item.service.slug

    @staticmethod
    def resolve_service_name(item) -> str:
        return item.service.name

    @staticmethod
    def resolve_decided_by(item) -> str | None:
        return _name(item.decided_by)

    @staticmethod
    def resolve_reason(item) -> str:
        return item.decision_reason


class ServiceDecision(RequestedService):
    """A decided service, with where its onboarding request stands now (the last decision
    moves the request on)."""

    request_id: int
    request_status: str


class Question(Schema):
    id: int
    text: str
    asked_by: str
    asked_at: datetime.datetime
    answer: str
    answered_by: str | None
    answered_at: datetime.datetime | None

    @staticmethod
    def resolve_asked_by(question) -> str:
        return question.asked_by.full_name

    @staticmethod
    def resolve_answered_by(question) -> str | None:
        return _name(question.answered_by)


class StatusChange(Schema):
    """A change of status that came with a reason (withdrawn, cancelled, reopened, sent
    back, rejected)."""

    kind: str
    from_status: str
    to_status: str
    reason: str
    by: str
    at: datetime.datetime

    @staticmethod
    def resolve_by(change) -> str:
        return change.by.full_name


class OnboardingRequestSummary(Schema):
    id: int
    contract_id: int
    contract_name: str
    contract_number: str
    status: str
    status_label: str
    version: int
    submitted_at: datetime.datetime | None

    @staticmethod
    def resolve_contract_name(request) -> str:
        return request.contract.name

    @staticmethod
    def resolve_contract_number(request) -> str:
        return request.contract.contract_number

    @staticmethod
    def resolve_status_label(request) -> str:
        return request.get_status_display()


class OnboardingRequest(OnboardingRequestSummary):
    submitted_by: str | None
    reviewed_at: datetime.datetime | None
    lead_approved_at: datetime.datetime | None
    services: list[RequestedService]
    questions: list[Question] | None = Field(
        description="The team's questions and their answers; null for whom the request's "
                    "page does not show them.")
    changes: list[StatusChange] = Field(description="The latest first.")
    actions: list[str] = Field(description=(
        "The request's transitions you may take now (as its page offers them), e.g. "
        "ask_question, approve_as_lead, send_back, reject."))

    # What the page read and decided for this person (requests.shown): set on the row.
    @staticmethod
    def resolve_submitted_by(request) -> str | None:
        return _name(request.submitted_by)

    @staticmethod
    def resolve_services(request) -> list:
        return list(request.shown["items"])

    @staticmethod
    def resolve_questions(request) -> list | None:
        return request.shown["questions"] if request.shown["sees_thread"] else None

    @staticmethod
    def resolve_changes(request) -> list:
        return request.shown["changes"]

    @staticmethod
    def resolve_actions(request) -> list[str]:
        return request.shown["actions"]


# --- Decisions on onboarding requests ------------------------------------------------------


class QuestionIn(Schema):
    text: str = Field(max_length=LONG_TEXT_MAX, pattern=NOT_BLANK,
                      description="The question for the COR and the contractor's POC.")
    version: int | None = VERSION


class VersionIn(Schema):
    version: int | None = VERSION


class LeadReturnIn(Schema):
    decision: Literal["send_back", "reject"] = Field(
        description="send_back: to the onboarding team's review; reject: final.")
    reason: str = Field(max_length=SHORT_TEXT_MAX, pattern=NOT_BLANK)
    version: int | None = VERSION


class ServiceDecisionIn(Schema):
    model_config = required_with("deny", "reason")

    decision: Literal["approve", "deny"]
    reason: str = Field("", max_length=SHORT_TEXT_MAX,
                        description="Required for a denial; the COR and contractor see it.")


# --- Additional-service requests -----------------------------------------------------------


class AdditionalRequest(Schema):
    id: int
    contract_id: int
    contract_name: str
    service: str = Field(description="The service's slug.")
    service_name: str
    status: str = Field(description=(
        "awaiting_cor, awaiting_leads, approved, denied, withdrawn (declined by the COR), "
        "cor_withdrawn, cancelled."))
    status_label: str
    version: int
    organization_name: str
    justification: str
    estimated_users: int
    requested_by: str
    requested_at: datetime.datetime
    cor_decided_by: str | None
    cor_decided_at: datetime.datetime | None
    cor_note: str
    decided_by: str | None
    decided_at: datetime.datetime | None
    reason: str = Field(description="The service lead's reason (always with a denial).")

    @staticmethod
    def resolve_contract_name(req) -> str:
        return req.contract.name

    @staticmethod
    def resolve_service(req) -> str:
        return req.service.slug

    @staticmethod
    def resolve_service_name(req) -> str:
        return req.service.name

    @staticmethod
    def resolve_status_label(req) -> str:
        return req.get_status_display()

    @staticmethod
    def resolve_requested_by(req) -> str:
        return req.requested_by.full_name

    @staticmethod
    def resolve_cor_decided_by(req) -> str | None:
        return _name(req.cor_decided_by)

    @staticmethod
    def resolve_decided_by(req) -> str | None:
        return _name(req.decided_by)

    @staticmethod
    def resolve_reason(req) -> str:
        return req.decision_reason


class AdditionalRequestDetail(AdditionalRequest):
    actions: list[str] = Field(description=(
        "The request's transitions you may take now, e.g. approve_as_cor, decline_as_cor "
        "(the COR), approve, deny (a lead of the service)."))

    @staticmethod
    def resolve_actions(req) -> list[str]:
        return req.actions_shown  # set by requests._additional_detail


class CorDecisionIn(Schema):
    model_config = required_with("decline", "note")

    decision: Literal["approve", "decline"]
    note: str = Field("", max_length=SHORT_TEXT_MAX,
                      description="Required to decline: the person who asked reads it.")
    version: int | None = VERSION


class LeadDecisionIn(Schema):
    model_config = required_with("deny", "reason")

    decision: Literal["approve", "deny"]
    reason: str = Field("", max_length=SHORT_TEXT_MAX,
                        description="Required for a denial; the COR and the requester see it.")
    version: int | None = VERSION


# --- Rosters and grants ------------------------------------------------------------------


class RosterGrant(Schema):
    """A roster member's access to one service."""

    id: int
    service: str
    service_id: int
    service_name: str
    status: str = Field(description="requested, active, paused or revoked.")
    eua_job_code: str
    requested_at: datetime.datetime
    activated_at: datetime.datetime | None

    @staticmethod
    def resolve_service(grant) -> str:
        return grant.service.slug

    @staticmethod
    def resolve_service_name(grant) -> str:
        return grant.service.name


class Grant(RosterGrant):
    contract_id: int
    user_id: int
    user_name: str
    pause_reason: str
    requested_by: str
    paused_at: datetime.datetime | None
    revoked_at: datetime.datetime | None

    @staticmethod
    def resolve_user_name(grant) -> str:
        return grant.user.full_name

    @staticmethod
    def resolve_requested_by(grant) -> str:
        return grant.requested_by.full_name


class RosterMember(Schema):
    """A contractor user on the contract's roster, and their grants on it."""

    user_id: int
    full_name: str
    email: str
    harp_id: str
    grants: list[RosterGrant]

    @staticmethod
    def resolve_full_name(role) -> str:
        return role.user.full_name

    @staticmethod
    def resolve_email(role) -> str:
        return role.user.email

    @staticmethod
    def resolve_harp_id(role) -> str:
        return role.user.harp_id

    @staticmethod
    def resolve_grants(role) -> list:
        return getattr(role.user, "grants_here", [])


class RosterUserIn(Schema):
    full_name: str = Field(max_length=NAME_MAX, pattern=NOT_BLANK)
    email: str = Field(max_length=EMAIL_MAX, pattern="@")
    harp_id: str = Field(pattern=HARP_ID_RE, description="3 to 64 letters, digits, dots, "
                         "underscores or hyphens, starting with a letter or digit.")


class GrantIn(Schema):
    user_id: int = Field(description="A user on the contract's roster.")
    service_id: int = Field(description="One of the contract's approved services.")
