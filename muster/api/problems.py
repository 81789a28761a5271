"""Errors as RFC 9457 problem details (`application/problem+json`), for every API answer.

One place turns each kind of failure into its answer, as `muster.views` does for pages:
a refused role is 403 with the same message the page shows, a domain rule 409 with its
message (and the field it is about), bad input 422 with each field's problem, an unknown
or hidden object 404 (nothing says it exists), no usable token 401, too many calls 429
with Retry-After. Nothing shows a traceback. Bad input is 422 wherever it is found: by
ninja (a body that is not JSON, a cursor the API did not give), or by a model's own
validation in a service. The same holds at the API's edges: an unknown path under /api/v1/
is a 404 problem, a method an operation lacks a 405 one (HEAD is answered as GET), and the
OpenAPI document says problems are `application/problem+json`.
"""

import functools
import logging
import math
from pathlib import Path

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as ModelValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from muster.errors import DomainError

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/problem+json"
TITLES = {
    400: "Bad request", 401: "Not signed in", 403: "Not allowed", 404: "Not found",
    405: "Method not allowed", 409: "Not possible now", 422: "Invalid input",
    429: "Too many requests", 500: "Server error",
}


class FieldProblem(Schema):
    field: str
    message: str


class Problem(Schema):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""
    errors: list[FieldProblem] = []


# The answers every operation may give besides its own: declared on each operation, so
# the OpenAPI document (and schemathesis) knows them.
COMMON = {401: Problem, 403: Problem, 422: Problem, 429: Problem}
WITH_OBJECT = {**COMMON, 404: Problem}
WRITE = {**WITH_OBJECT, 409: Problem}


def problem(status: int, detail: str = "", errors: list[dict] | None = None,
            headers: dict | None = None) -> HttpResponse:
    body = Problem(title=TITLES.get(status, "Error"), status=status, detail=detail,
                   errors=[FieldProblem(**e) for e in errors or []])
    response = HttpResponse(body.model_dump_json(), status=status, content_type=CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


NOTHING_HERE = "There is nothing here, or you may not see it."
INVALID = "Some of the input is not valid: see errors."
NOT_A_CURSOR = "This is not a cursor the API gave: start again from the first page."
# Where ninja's cursor pagination reads a cursor and filters by it (below).
_CURSOR_CODE = {("pagination.py", name)
                for name in ("from_encoded_param", "paginate_queryset", "apaginate_queryset")}


def _raised_reading_the_cursor(exc: BaseException) -> bool:
    """ninja's CursorPagination trusts a cursor it can decode: one forged or garbled (an
    offset that is no number or negative, a position of the wrong type, a NUL byte) fails
    in its own code as a ValueError, AssertionError, pydantic's or the database's error.
    An error there, when the call sent a cursor, is the cursor's fault: the same code runs
    without one on every first page, where the view's own faults show."""
    frames = []
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if Path(code.co_filename).parent.name == "ninja":
            frames.append((Path(code.co_filename).name, code.co_name))
        tb = tb.tb_next
    return bool(_CURSOR_CODE.intersection(frames))


def nothing_here(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """Any path under /api/v1/ that is no operation (muster/api/urls.py routes them here)."""
    return problem(404, NOTHING_HERE)


def at_the_edges(view):
    """Wrap one of the API's URL views: ninja answers a method its path lacks with a bare
    text 405, HEAD included, and its root path with Django's HTML 404 page. HEAD is answered
    as GET (RFC 9110 §9.3.2: the server sends the headers and no body), the rest as
    problems."""

    @functools.wraps(view)
    def answer(request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        try:
            response = view(request, *args, **kwargs)
            allowed = {m.strip() for m in response.get("Allow", "").split(",") if m.strip()}
            if response.status_code == 405 and request.method == "HEAD" and "GET" in allowed:
                request.method = "GET"
                response = view(request, *args, **kwargs)
                request.method = "HEAD"
        except Http404:
            return problem(404, NOTHING_HERE)
        if response.status_code != 405 or response.get("Content-Type") == CONTENT_TYPE:
            return response
        if "GET" in allowed:
            allowed.add("HEAD")
        allow = ", ".join(sorted(allowed))
        return problem(405, f"{request.method} is not an operation of this path: it "
                       f"allows {allow}.", headers={"Allow": allow})

    return answer


def document_problems(api: NinjaAPI) -> None:
    """ninja declares every answer as the renderer's `application/json`: say what problems
    are sent as, so clients (and schemathesis) know the content type of an error."""
    make_document = api.get_openapi_schema
    problem_ref = {"$ref": "#/components/schemas/Problem"}

    @functools.wraps(make_document)
    def document(**kwargs):
        schema = make_document(**kwargs)
        for operations in schema["paths"].values():
            for operation in operations.values():
                for answer in operation.get("responses", {}).values():
                    content = answer.get("content", {})
                    if content.get("application/json", {}).get("schema") == problem_ref:
                        content[CONTENT_TYPE] = content.pop("application/json")
        return schema

    api.get_openapi_schema = document  # type: ignore[method-assign]


def _field_of(loc) -> str:
    # ninja's locations start with where the value came from ("query", "body"...).
    parts = [str(p) for p in loc[1:]] or [str(p) for p in loc]
    return ".".join(parts)


def _field_problems(errors: list) -> list[dict]:
    """pydantic's errors ({"loc": ("query", "page_size"), "msg": ...}), and ninja's own
    shorthand ({"cursor": "Invalid Cursor"}: its pagination's), as field problems."""
    found = []
    for error in errors:
        if isinstance(error, dict) and ("loc" in error or "msg" in error):
            found.append({"field": _field_of(error.get("loc", ())),
                          "message": str(error.get("msg") or "Not valid.")})
        elif isinstance(error, dict):
            found += [{"field": str(field), "message": str(message)}
                      for field, message in error.items()]
        else:
            found.append({"field": "", "message": str(error)})
    return found


def _by_field(exc: ModelValidationError) -> dict[str, list[str]]:
    return exc.message_dict if hasattr(exc, "error_dict") else {"": list(exc.messages)}


def install(api: NinjaAPI) -> None:
    document_problems(api)

    @api.exception_handler(ValidationError)
    def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return problem(422, INVALID,
                       _field_problems(exc.errors))

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return problem(401, "Send a usable API token: Authorization: Bearer <token>.",
                       headers={"WWW-Authenticate": 'Bearer realm="muster"'})

    @api.exception_handler(Throttled)
    def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        wait = max(1, math.ceil(exc.wait or 1))
        return problem(429, f"Too many calls with this token: try again in {wait} s.",
                       headers={"Retry-After": str(wait)})

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400:
            # ninja's one 400: a body that is not JSON. Bad input is 422 in this API (every
            # operation declares it), with the field it is about.
            return problem(422, INVALID,
                           [{"field": "body", "message": "The body is not valid JSON."}])
        return problem(exc.status_code, str(exc.message))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return problem(404, NOTHING_HERE)

    @api.exception_handler(ObjectDoesNotExist)
    def no_such_object(request: HttpRequest, exc: Exception) -> HttpResponse:
        return problem(404, NOTHING_HERE)

    @api.exception_handler(PermissionDenied)
    def not_allowed(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return problem(403, str(exc) or "Your role does not allow this.")

    @api.exception_handler(ModelValidationError)
    def invalid_for_the_model(request: HttpRequest, exc: ModelValidationError) -> HttpResponse:
        # A service's full_clean (a blank name, a date out of range): the pages' forms show
        # these by their fields; here each is a field's problem.
        errors = [{"field": "" if field == "__all__" else field, "message": message}
                  for field, messages in _by_field(exc).items() for message in messages]
        return problem(422, INVALID, errors)

    @api.exception_handler(DomainError)
    def not_possible(request: HttpRequest, exc: DomainError) -> HttpResponse:
        errors = [{"field": exc.field, "message": str(exc)}] if exc.field else []
        return problem(409, str(exc), errors)

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        if request.GET.get("cursor") and _raised_reading_the_cursor(exc):
            return problem(422, INVALID,
                           [{"field": "cursor", "message": NOT_A_CURSOR}])
        logger.exception("API call failed: %s %s", request.method, request.path)
        return problem(500, "Something went wrong on our side; it has been logged.")
