"""How an API operation is written in the API's authorization matrix (tests/api/
test_api_matrix.py), shared by the tables of each area (matrix_contracts.py,
matrix_requests.py).

Roles, sides and rules are the page matrix's (tests/test_authorization_matrix.py): a rule
maps a role (as contract A sees it) to the status expected; for a write, ALLOWED means the
operation ran (2xx) or refused its input for a reason in the answer (409/422), never 401,
403, 404 or 500. A read-only token's write is refused with 403 before anything else, and
no token at all is 401, for every operation: the matrix adds those itself.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

Rule = Callable[[str], int | str]


@dataclass(frozen=True)
class Operation:
    method: str  # "GET", "POST", ...
    path: str  # the OpenAPI path, e.g. "/api/v1/contracts/{contract_id}"
    rule: Rule  # who gets what, as in the page matrix
    # path parameter → a contract of the side ("main", "draft"...) or one of its objects
    # (tests/matrix/world.py: side.contracts / side.objects), or "=value" as it is.
    fill: dict[str, str] = field(default_factory=dict)
    # The JSON body of a write (world, side) → dict; the query string of a read.
    body: Callable | None = None
    query: str = ""
