"""What the service says of itself (RFC 7644 §4), exactly what it does."""

import pytest

from .conftest import CONTENT_TYPE, SCIM

pytestmark = pytest.mark.django_db

AGENCY = "urn:muster:params:scim:schemas:extension:agency:2.0:User"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def read(client, path: str) -> dict:
    response = client.get(f"{SCIM}{path}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == CONTENT_TYPE
    return response.json()


def test_the_configuration_says_read_with_filters_and_a_bearer_token(scim):
    config = read(scim, "/ServiceProviderConfig")

    assert config["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]
    assert {name: config[name]["supported"] for name in
            ("patch", "bulk", "filter", "changePassword", "sort", "etag")} == {
        "patch": False, "bulk": False, "filter": True, "changePassword": False,
        "sort": False, "etag": False}
    assert config["filter"]["maxResults"] == 100
    assert [s["type"] for s in config["authenticationSchemes"]] == ["oauthbearertoken"]
    assert config["meta"]["location"] == f"http://testserver{SCIM}/ServiceProviderConfig"


def test_resource_types_are_users_with_the_agency_extension_and_groups(scim):
    body = read(scim, "/ResourceTypes")

    types = {t["id"]: t for t in body["Resources"]}
    assert body["totalResults"] == 2
    assert {(t["endpoint"], t["schema"]) for t in types.values()} == {("/Users", USER),
                                                                      ("/Groups", GROUP)}
    assert types["User"]["schemaExtensions"] == [{"schema": AGENCY, "required": False}]
    assert read(scim, "/ResourceTypes/User")["meta"]["location"] == (
        f"http://testserver{SCIM}/ResourceTypes/User")
    assert scim.get(f"{SCIM}/ResourceTypes/Pet").status_code == 404


def test_the_user_schema_lists_only_the_attributes_served(scim):
    schemas = {s["id"]: s for s in read(scim, "/Schemas")["Resources"]}
    user = schemas[USER]

    assert [a["name"] for a in user["attributes"]] == [
        "userName", "name", "displayName", "active", "emails", "groups"]
    name = next(a for a in user["attributes"] if a["name"] == "name")
    assert {s["name"] for s in name["subAttributes"]} == {"formatted", "givenName", "familyName"}
    assert [a["name"] for a in schemas[AGENCY]["attributes"]] == ["harpId", "euaId",
                                                                  "euaJobCodes"]
    assert all(a["mutability"] == "readOnly" for a in schemas[AGENCY]["attributes"])
    assert {GROUP, "urn:ietf:params:scim:schemas:core:2.0:Schema"} <= set(schemas)


def test_a_schema_is_read_by_its_urn(scim):
    agency = read(scim, f"/Schemas/{AGENCY}")

    assert agency["id"] == AGENCY
    assert agency["meta"] == {"resourceType": "Schema",
                              "location": f"http://testserver{SCIM}/Schemas/{AGENCY}"}
    assert scim.get(f"{SCIM}/Schemas/urn:nothing").status_code == 404


@pytest.mark.parametrize("path", ["/Schemas", "/ResourceTypes", "/ServiceProviderConfig"])
def test_a_filter_on_discovery_is_refused_with_403(scim, path):
    response = scim.get(f"{SCIM}{path}?filter=id%20eq%20%22User%22")

    assert response.status_code == 403
    assert response.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]


def test_a_trailing_slash_is_accepted(scim):
    assert read(scim, "/ResourceTypes/")["totalResults"] == 2
    assert read(scim, "/Users/")["totalResults"] == 2
