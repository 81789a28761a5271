"""The API authorization matrix's table for contracts, their audit events, and `me`
(tests/api/test_api_matrix.py; the format: matrix_format.py). Rules are the page matrix's,
written for contract A; each operation answers as the page it mirrors does."""

from tests.api.matrix_format import Operation
from tests.test_authorization_matrix import TEAM, VIEW, everyone, page, team_page

C = {"contract_id": "main"}
# The contract's history page (contracts:history): its COR and the team.
HISTORY = frozenset({"cor", "onboarding_team", "team_lead", "administrator"})

OPERATIONS: dict[str, Operation] = {
    "me": Operation("GET", "/api/v1/me", everyone()),
    # Every contract the person sees (contracts:list), on one page.
    "list_contracts": Operation("GET", "/api/v1/contracts", everyone(),
                                query="page_size=200"),
    "get_contract": Operation("GET", "/api/v1/contracts/{contract_id}", page(VIEW), C),
    "get_contract_duas": Operation("GET", "/api/v1/contracts/{contract_id}/duas",
                                   page(VIEW), C),
    "list_contract_events": Operation("GET", "/api/v1/contracts/{contract_id}/events",
                                      page(HISTORY), C, query="page_size=200"),
    # Every event of every contract: for those who see every contract.
    "audit_stream": Operation("GET", "/api/v1/events", team_page(TEAM), query="limit=1000"),
}
