"""The API matrix's table for requests, decisions, rosters and grants (muster/api/v1/
requests.py and access.py): one Operation per operationId, written as the page matrix
writes the pages they mirror (tests/test_authorization_matrix.py), on the world of
tests/matrix/world.py.

The world, on each side: "main" is closing, its onboarding request complete (a decision
or a question on it is refused as not possible now: 409, which counts as ALLOWED), its own
service ("item") approved, Slack asked for as an additional service and waiting for its
leads ("req": no visitor leads Slack); its roster holds the contractor user (an active
grant, "grant_active") and a member whose grant waits ("grant_requested"). "work_onboarding"
is the onboarding request of "meeting", waiting for its eligibility meeting (the team
lead's decisions and the team's question are 409 there).
"""

from muster.contracts.models import ContractService
from tests.api.matrix_format import Operation
from tests.test_authorization_matrix import (
    ROSTER,
    VIEW,
    action,
    everyone,
    page,
    team_page,
)

ONBOARDING = "/api/v1/requests/onboarding/{request_id}"
ADDITIONAL = "/api/v1/requests/additional/{request_id}"
MEETING_REQUEST = {"request_id": "work_onboarding"}
SLACK_REQUEST = {"request_id": "req"}


def _own_service(world, side) -> int:
    """The side's own approved service (A: SAS Viya, B: Confluence)."""
    return ContractService.objects.get(pk=world.sides[side].objects["item"]).service_id


OPERATIONS: dict[str, Operation] = {
    # Onboarding requests: a list of what each person sees, one request as its page.
    "list_onboarding_requests": Operation("GET", "/api/v1/requests/onboarding", everyone()),
    "get_onboarding_request": Operation("GET", ONBOARDING, page(VIEW), MEETING_REQUEST),
    "ask_question": Operation("POST", ONBOARDING + "/questions", action({"onboarding_team"}),
                              MEETING_REQUEST, body=lambda w, s: {"text": "Forged?"}),
    "approve_as_lead": Operation("POST", ONBOARDING + "/lead-approval", action({"team_lead"}),
                                 MEETING_REQUEST, body=lambda w, s: {}),
    "return_as_lead": Operation("POST", ONBOARDING + "/lead-return", action({"team_lead"}),
                                MEETING_REQUEST,
                                body=lambda w, s: {"decision": "reject", "reason": "Forged"}),
    # A requested service: only a lead of that service, who sees the contract through it.
    "decide_service": Operation("POST", "/api/v1/requests/requested-services/{item_id}/decision",
                                action({"sas_lead"}), {"item_id": "item"},
                                body=lambda w, s: {"decision": "deny", "reason": "Forged"}),
    # Additional-service requests: past the COR's approval, the parties, the team and
    # whoever sees the contract read it; the COR's decision is the contract's COR's; only a
    # lead of Slack (no visitor) decides it.
    "list_additional_requests": Operation("GET", "/api/v1/requests/additional", everyone()),
    "get_additional_request": Operation("GET", ADDITIONAL, page(VIEW), SLACK_REQUEST),
    "decide_additional_as_cor": Operation(
        "POST", ADDITIONAL + "/cor-decision", action({"cor"}), SLACK_REQUEST,
        body=lambda w, s: {"decision": "decline", "note": "Forged"}),
    "decide_additional_as_lead": Operation(
        "POST", ADDITIONAL + "/lead-decision", action(set()), SLACK_REQUEST,
        body=lambda w, s: {"decision": "deny", "reason": "Forged"}),
    # The roster: read as its page; the SO adds users and asks for grants (the member
    # already holds the side's own service: 409).
    "list_roster": Operation("GET", "/api/v1/contracts/{contract_id}/roster", page(ROSTER),
                             {"contract_id": "main"}),
    "add_roster_user": Operation(
        "POST", "/api/v1/contracts/{contract_id}/roster", action({"so"}),
        {"contract_id": "main"},
        body=lambda w, s: {"full_name": "Forged Person", "email": "forged@example.com",
                           "harp_id": "forged01"}),
    "request_grant": Operation(
        "POST", "/api/v1/contracts/{contract_id}/grants", action({"so"}),
        {"contract_id": "main"},
        body=lambda w, s: {"user_id": w.sides[s].objects["member"],
                           "service_id": _own_service(w, s)}),
    # Grants: the list to confirm as its page (the team, service leads: each their own
    # services'); one grant for the roster's readers, whoever may confirm it (the lead of
    # its service) and the person it gives access to; confirmed by the team or the
    # service's lead; revoked by the SO.
    "list_grants_to_confirm": Operation(
        "GET", "/api/v1/grants/to-confirm",
        team_page({"onboarding_team", "sas_lead", "confluence_lead"})),
    "get_grant": Operation("GET", "/api/v1/grants/{grant_id}",
                           page(ROSTER | {"contractor_user", "sas_lead"}),
                           {"grant_id": "grant_active"}),
    "confirm_grant": Operation("POST", "/api/v1/grants/{grant_id}/confirm",
                               action({"onboarding_team", "sas_lead"}),
                               {"grant_id": "grant_requested"}, body=lambda w, s: {}),
    "revoke_grant": Operation("POST", "/api/v1/grants/{grant_id}/revoke", action({"so"}),
                              {"grant_id": "grant_active"}, body=lambda w, s: {}),
}
