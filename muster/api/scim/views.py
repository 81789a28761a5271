"""The SCIM 2.0 service provider's endpoints (RFC 7644), read only, under /scim/v2/.

Plain Django views, not the ninja API: SCIM has its own protocol (its own media type,
errors, paging and discovery documents), which scim2-models speaks. Every answer is
`application/scim+json`; every error a SCIM Error (RFC 7644 §3.12).

The door (`endpoint`): a provisioning client's token (`Authorization: Bearer`, scope
"scim"), counted against the same per-token rate limit as the REST API. No cookies, so
no CSRF token and no sign-in page.

Writes are refused, and how depends on the endpoint:
- Users and Groups: 501 Not Implemented. RFC 7644 §3.12 names 501 for "service provider
  does not support the requested operation" (its example is PATCH), and the same code for
  /Bulk (§3.7) and /Me (§3.11) when they are not supported; the ServiceProviderConfig says
  so too (patch, bulk unsupported). scim2-tester makes no claim about a refused write on a
  resource (its write checks need writes, and are skipped for this service).
- The discovery endpoints: 405 Method Not Allowed, with Allow: GET. RFC 7644 §4 defines
  only GET on them, and scim2-tester's discovery checks expect exactly 405 there.
"""

import functools
import json
import math

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from pydantic import ValidationError
from scim2_models import (
    Context,
    Error,
    ForbiddenException,
    Group,
    InvalidValueException,
    ListResponse,
    Meta,
    NotFoundException,
    ResourceType,
    ResponseParameters,
    Schema,
    SCIMException,
)

from muster.api.auth import PerToken, ProvisioningClientToken

from . import filters, queries, resources, service
from .filters import Filterable
from .service import MAX_RESULTS, AgencyUser

CONTENT_TYPE = "application/scim+json"
READS = ("GET", "HEAD")
USER_FILTERS = [Filterable("userName", "email__iexact"),  # caseExact false (RFC 7643 §4.1.1)
                Filterable("displayName", "full_name__iexact"),
                Filterable("externalId", "harp_id__exact")]  # externalId is caseExact
GROUP_FILTERS = [Filterable("displayName", "display_name__iexact"),
                 Filterable("externalId", None)]  # Muster's groups have none


def answer(data: dict, status: int = 200, headers: dict | None = None) -> HttpResponse:
    response = HttpResponse(json.dumps(data), status=status, content_type=CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error(status: int, detail: str, scim_type: str | None = None,
          headers: dict | None = None) -> HttpResponse:
    body = Error(status=status, detail=detail, scim_type=scim_type)
    return answer(body.model_dump(), status, headers)


def _failed(exc: SCIMException) -> HttpResponse:
    return answer(exc.to_error().model_dump(), exc.status)


def _bearer(request: HttpRequest) -> str:
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    return raw.strip() if scheme.lower() == "bearer" else ""


def _refuse_write(request: HttpRequest, discovery: bool) -> HttpResponse:
    if discovery:
        return error(405, f"{request.method} is not possible here: discovery endpoints are "
                          "read with GET.", headers={"Allow": "GET, HEAD"})
    return error(501, "Muster's SCIM service is read only: it does not create, replace, "
                      "change or delete users or groups. Access changes in Muster itself.")


def endpoint(view=None, *, discovery: bool = False, any_method: bool = False):
    """The door of every SCIM view: the token, the rate limit, reads only (unless the
    view answers `any_method` itself), and any SCIM exception the view raises turned
    into its Error."""
    if view is None:
        return functools.partial(endpoint, discovery=discovery, any_method=any_method)

    @csrf_exempt
    @login_not_required
    @functools.wraps(view)
    def door(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        token = ProvisioningClientToken().authenticate(request, _bearer(request))
        if token is None:
            return error(401, "Send a provisioning client's token: Authorization: Bearer "
                              "<token>. The onboarding team issues them.",
                         headers={"WWW-Authenticate": 'Bearer realm="muster-scim"'})
        request.auth = token  # type: ignore[attr-defined]  # what PerToken counts by
        throttle = PerToken()
        if not throttle.allow_request(request):
            wait = math.ceil(throttle.wait() or 1)
            return error(429, f"Too many calls with this token: try again in {wait} s.",
                         headers={"Retry-After": str(wait)})
        if request.method not in READS and not any_method:
            return _refuse_write(request, discovery)
        try:
            return view(request, *args, **kwargs)
        except SCIMException as exc:
            return _failed(exc)

    return door


# --- Reading a request ----------------------------------------------------------------


def _whole_number(request: HttpRequest, name: str, default: int) -> int:
    text = request.GET.get(name, "").strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        detail = f"{name} is a whole number, not {text[:40]!r}."
        raise InvalidValueException(detail=detail) from None


def _response_parameters(request: HttpRequest, model) -> ResponseParameters:
    """`attributes` or `excludedAttributes` (RFC 7644 §3.9), read against `model`."""
    given = {key: request.GET[key] for key in ("attributes", "excludedAttributes")
             if request.GET.get(key)}
    try:
        return ResponseParameters[model].model_validate(given)
    except ValidationError as exc:
        problem = Error.from_validation_error(exc.errors()[0])
        raise InvalidValueException(detail=str(problem.detail)) from None


def _urls(request: HttpRequest):
    names = {"Users": "scim:user", "Groups": "scim:group"}
    return lambda kind, pk: request.build_absolute_uri(reverse(names[kind], args=[pk]))


def _condition(request: HttpRequest, core_urn: str, attributes: list[Filterable]):
    text = request.GET.get("filter")
    return None if text is None else filters.to_q(text, core_urn, attributes)


def _listed(resource_model, total: int, start: int, page: list, params) -> HttpResponse:
    body = ListResponse[resource_model](total_results=total, start_index=start,
                                        items_per_page=len(page), resources=page)
    return answer(body.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE,
                                  response_parameters=params))


def _shown(resource, params) -> HttpResponse:
    return answer(resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE,
                                      response_parameters=params))


def _paged(request: HttpRequest, rows):
    """(total, startIndex, the page's rows) for startIndex and count (RFC 7644 §3.4.2.4):
    startIndex below 1 reads as 1, count below 0 as 0, above MAX_RESULTS as MAX_RESULTS."""
    start = max(1, _whole_number(request, "startIndex", 1))
    count = min(max(0, _whole_number(request, "count", MAX_RESULTS)), MAX_RESULTS)
    total = rows.count()
    if count == 0 or start > total:
        return total, start, []
    return total, start, list(rows[start - 1:start - 1 + count])


# --- Users ---------------------------------------------------------------------------


@endpoint
def users(request: HttpRequest) -> HttpResponse:
    params = _response_parameters(request, AgencyUser)
    condition = _condition(request, str(AgencyUser.__schema__), USER_FILTERS)
    total, start, page = _paged(request, queries.with_their_access(queries.people(condition)))
    urls = _urls(request)
    return _listed(AgencyUser, total, start, [resources.user(p, urls) for p in page], params)


@endpoint
def user(request: HttpRequest, pk: str) -> HttpResponse:
    params = _response_parameters(request, AgencyUser)
    person = queries.person(pk)
    if person is None:
        raise NotFoundException(detail=f"No user {pk[:40]!r} has active access.")
    return _shown(resources.user(person, _urls(request)), params)


# --- Groups --------------------------------------------------------------------------


def _members_wanted(params: ResponseParameters) -> bool:
    """Whether the answer shows members: identity systems often exclude them to list
    groups cheaply, and then they are not read at all."""
    def names_members(paths) -> bool:
        return any(str(p).rsplit(":", 1)[-1].split(".")[0].lower() == "members"
                   for p in paths or [])
    if params.attributes:
        return names_members(params.attributes)
    return not names_members(params.excluded_attributes)


def _groups_of(request: HttpRequest, rows: list, params) -> list[Group]:
    members = queries.members_of(rows) if _members_wanted(params) else {}
    urls = _urls(request)
    return [resources.group(row, members.get((row.contract_id, row.service_id)), urls)
            for row in rows]


@endpoint
def groups(request: HttpRequest) -> HttpResponse:
    params = _response_parameters(request, Group)
    condition = _condition(request, str(Group.__schema__), GROUP_FILTERS)
    total, start, page = _paged(request, queries.with_changes(queries.groups(condition)))
    return _listed(Group, total, start, _groups_of(request, page, params), params)


@endpoint
def group(request: HttpRequest, pk: str) -> HttpResponse:
    params = _response_parameters(request, Group)
    row = queries.group(pk)
    if row is None:
        raise NotFoundException(detail=f"No group {pk[:60]!r}.")
    return _shown(_groups_of(request, [row], params)[0], params)


# --- Discovery (RFC 7644 §4) ----------------------------------------------------------


def _no_filter_here(request: HttpRequest) -> None:
    # RFC 7644 §4: a filter on a discovery endpoint SHOULD be refused with 403, so that a
    # client never takes an unfiltered answer for a filtered one.
    if "filter" in request.GET:
        raise ForbiddenException(detail="Discovery endpoints take no filter: read the "
                                        "whole list.")


def _located(item, resource_type: str, url: str):
    return item.model_copy(update={"meta": Meta(resource_type=resource_type, location=url)})


def _discovery_list(request: HttpRequest, model, items: list, name: str) -> HttpResponse:
    _no_filter_here(request)
    located = [_located(item, model.__name__, request.build_absolute_uri(
        reverse(name, args=[str(item.id)]))) for item in items]
    body = ListResponse[model](total_results=len(located), start_index=1,
                               items_per_page=len(located), resources=located)
    return answer(body.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


def _discovery_item(request: HttpRequest, model, items: list, pk: str) -> HttpResponse:
    found = service.by_id(items, pk)
    if found is None:
        raise NotFoundException(detail=f"No {model.__name__} {pk[:80]!r}.")
    located = _located(found, model.__name__, request.build_absolute_uri())
    return answer(located.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


@endpoint(discovery=True)
def service_provider_config(request: HttpRequest) -> HttpResponse:
    _no_filter_here(request)
    config = _located(service.CONFIG, "ServiceProviderConfig",
                      request.build_absolute_uri(reverse("scim:service_provider_config")))
    return answer(config.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


@endpoint(discovery=True)
def schemas(request: HttpRequest) -> HttpResponse:
    return _discovery_list(request, Schema, service.schemas(), "scim:schema")


@endpoint(discovery=True)
def schema(request: HttpRequest, pk: str) -> HttpResponse:
    return _discovery_item(request, Schema, service.schemas(), pk)


@endpoint(discovery=True)
def resource_types(request: HttpRequest) -> HttpResponse:
    return _discovery_list(request, ResourceType, service.resource_types(),
                           "scim:resource_type")


@endpoint(discovery=True)
def resource_type(request: HttpRequest, pk: str) -> HttpResponse:
    return _discovery_item(request, ResourceType, service.resource_types(), pk)


# --- Everything else -------------------------------------------------------------------


@endpoint(any_method=True)
def not_supported(request: HttpRequest) -> HttpResponse:
    """/Bulk, /Me and the POST searches: optional in RFC 7644, not offered (501)."""
    return error(501, "Muster's SCIM service does not offer this endpoint: read /Users and "
                      "/Groups with GET (see /ServiceProviderConfig).")


@endpoint(any_method=True)
def not_found(request: HttpRequest) -> HttpResponse:
    return error(404, "There is nothing here: Muster's SCIM service has /Users, /Groups, "
                      "/ServiceProviderConfig, /Schemas and /ResourceTypes.")
