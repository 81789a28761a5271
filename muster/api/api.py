"""The REST API, version 1: `/api/v1/`, its OpenAPI 3.1 document at `/api/v1/openapi.json`
(committed as docs/openapi.json; `manage.py openapi --check` finds drift).

Each area's operations are in their own module under v1/; this module only puts them
together with the token check, the rate limit and the problem-details errors.
"""

from ninja import NinjaAPI

from . import problems
from .auth import PersonToken, PerToken
from .v1 import access, contracts, events, me, requests

DESCRIPTION = """Muster's REST API: contracts and their timelines, onboarding and
additional-service requests and their decisions, rosters and grants, DUAs, and the audit
record. Authenticate with a token from your settings page: `Authorization: Bearer <token>`.
A token acts as you: it sees and does what your role lets you see and do on the pages,
and no more; a read-only token cannot change anything. Errors are RFC 9457 problem
details. Lists are paged with an opaque cursor. See docs/api.md for examples."""

api = NinjaAPI(
    title="Muster API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=PersonToken(),
    throttle=[PerToken()],
    docs_url=None,  # the people's page is docs_page (no third-party script from a CDN)
    # Every operation needs a person's token: said once for the whole document too.
    openapi_extra={"security": [{PersonToken.__name__: []}]},
)
problems.install(api)

api.add_router("/me", me.router)
api.add_router("/contracts", contracts.router)
api.add_router("/requests", requests.router)
api.add_router("/", access.router)
api.add_router("/events", events.router)
