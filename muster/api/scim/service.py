"""What the SCIM service is (RFC 7643): its resources, Muster's extension of User, and what
it says of itself on the discovery endpoints (/ServiceProviderConfig, /Schemas,
/ResourceTypes), built with scim2-models so that what is served and what is described
cannot drift apart.

Read only: no PATCH, bulk, password change, sorting or ETags; `filter` is supported, with
the three equality filters in `filters.py`.
"""

from typing import Annotated, Any

from pydantic import Field
from scim2_models import (
    URN,
    AuthenticationScheme,
    Bulk,
    CaseExact,
    ChangePassword,
    ETag,
    Extension,
    Filter,
    Group,
    Mutability,
    Patch,
    ResourceType,
    Schema,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    User,
)

# The most resources one page holds, and the page size when the client names none.
MAX_RESULTS = 100

AGENCY_URN = "urn:muster:params:scim:schemas:extension:agency:2.0:User"


class Agency(Extension):
    """The agency's identifiers of a person and the EUA job codes their access needs."""

    __schema__ = URN(AGENCY_URN)

    harp_id: Annotated[str | None, Mutability.read_only, CaseExact.true] = Field(
        None, description="The person's HARP user ID.")
    eua_id: Annotated[str | None, Mutability.read_only, CaseExact.true] = Field(
        None, description="The person's CMS EUA user ID (four letters or digits).")
    eua_job_codes: Annotated[list[str] | None, Mutability.read_only, CaseExact.true] = Field(
        None, description="The EUA job codes of the services the person has active access "
                          "to (e.g. CONFL_User), each once.")


AgencyUser = User[Agency]

# The attributes of the core User schema that Muster fills (RFC 7643 §4.1); /Schemas lists
# only these, so a client is not led to expect phone numbers or addresses.
USER_ATTRIBUTES = {
    "userName": None,
    "name": {"formatted", "givenName", "familyName"},
    "displayName": None,
    "active": None,
    "emails": {"value", "type", "primary"},
    "groups": {"value", "$ref", "display", "type"},
}

CONFIG = ServiceProviderConfig(
    documentation_uri=None,
    patch=Patch(supported=False),
    bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
    filter=Filter(supported=True, max_results=MAX_RESULTS),
    change_password=ChangePassword(supported=False),
    sort=Sort(supported=False),
    etag=ETag(supported=False),
    authentication_schemes=[
        AuthenticationScheme(
            type=AuthenticationScheme.Type.oauthbearertoken,
            name="Provisioning client token",
            description="A provisioning client's token, issued by the onboarding team on "
                        "Muster's provisioning clients page: Authorization: Bearer <token>.",
            primary=True,
        ),
    ],
)

RESOURCE_TYPES = [
    ResourceType.from_resource(AgencyUser).model_copy(update={
        "description": "People with active access to at least one service"}),
    ResourceType.from_resource(Group).model_copy(update={
        "description": "One group per service per contract: its members have active access"}),
]

PROVIDER = ScimProvider(models=[User, Agency, Group], resource_types=RESOURCE_TYPES,
                        config=CONFIG)


def _served_only(schema: Schema) -> Schema:
    """The core User schema cut down to the attributes Muster serves."""
    if schema.id != User.__schema__:
        return schema
    kept = []
    for attribute in schema.attributes or []:
        if attribute.name not in USER_ATTRIBUTES:
            continue
        subs = USER_ATTRIBUTES[attribute.name]
        if subs is not None:
            attribute = attribute.model_copy(update={"sub_attributes": [
                sub for sub in attribute.sub_attributes or [] if sub.name in subs]})
        kept.append(attribute)
    return schema.model_copy(update={"attributes": kept})


def schemas() -> list[Schema]:
    """/Schemas: the resources' and the extension's schemas, and those of the discovery
    resources themselves (RFC 7643 §7; scim2-tester expects them)."""
    discovery = [model.to_schema() for model in (ServiceProviderConfig, ResourceType, Schema)]
    return [_served_only(schema) for schema in PROVIDER.schemas] + discovery


def resource_types() -> list[ResourceType]:
    return list(PROVIDER.resource_types)


def by_id(items: list[Any], wanted: str) -> Any | None:
    """The schema or resource type whose id is `wanted`, or None."""
    return next((item for item in items if str(item.id) == wanted), None)
