"""/Users: the people with active access, as an identity system reads them."""

import pytest

from muster.access import grants
from muster.access.models import GrantStatus

from .conftest import CONTENT_TYPE, SCIM

pytestmark = pytest.mark.django_db

AGENCY = "urn:muster:params:scim:schemas:extension:agency:2.0:User"


def listed(client, query="") -> dict:
    response = client.get(f"{SCIM}/Users{query}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == CONTENT_TYPE
    return response.json()


def names(body: dict) -> list[str]:
    return [r["userName"] for r in body.get("Resources", [])]


def test_only_people_with_active_access_are_listed(scim):
    body = listed(scim)

    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    assert names(body) == ["ann.avery@example.com", "ben@example.com"]
    assert (body["totalResults"], body["startIndex"], body["itemsPerPage"]) == (2, 1, 2)


def test_a_user_carries_what_an_identity_system_maps(scim, world):
    ann = listed(scim)["Resources"][0]

    assert ann["id"] == str(world["ann"].pk)
    assert ann["externalId"] == "ANN.AVERY"
    assert ann["displayName"] == "Ann Avery"
    assert ann["name"] == {"formatted": "Ann Avery", "givenName": "Ann", "familyName": "Avery"}
    assert ann["emails"] == [{"value": "ann.avery@example.com", "type": "work",
                              "primary": True}]
    assert ann["active"] is True
    assert ann["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:User", AGENCY]
    assert ann[AGENCY] == {"harpId": "ANN.AVERY", "euaId": "AB12", "euaJobCodes": ["CONFL_User"]}
    assert ann["meta"]["resourceType"] == "User"
    assert ann["meta"]["location"] == f"http://testserver{SCIM}/Users/{world['ann'].pk}"
    assert ann["meta"]["created"] and ann["meta"]["lastModified"] >= ann["meta"]["created"]
    group = f"{world['alpha'].pk}-confluence"
    assert ann["groups"] == [{"value": group, "$ref": f"http://testserver{SCIM}/Groups/{group}",
                              "display": "75FCMC26D0001 Confluence", "type": "direct"}]


def test_someone_without_a_harp_id_has_no_external_id(scim):
    ben = listed(scim)["Resources"][1]

    assert "externalId" not in ben
    assert "harpId" not in ben[AGENCY]
    assert [g["display"] for g in ben["groups"]] == ["75FCMC26D0001 SAS Viya",
                                                      "75FCMC26D0002 Confluence"]


def test_a_user_is_read_by_id(scim, world):
    response = scim.get(f"{SCIM}/Users/{world['ben'].pk}")

    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPE
    assert response.json()["userName"] == "ben@example.com"


@pytest.mark.parametrize("who", ["cy", "di", "so", "nobody", "not-a-number"])
def test_someone_without_active_access_is_not_found(scim, world, who):
    pk = {"nobody": "999999", "not-a-number": "ann"}.get(who) or world[who].pk

    response = scim.get(f"{SCIM}/Users/{pk}")

    assert response.status_code == 404
    assert response["Content-Type"] == CONTENT_TYPE
    assert response.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert response.json()["status"] == "404"


def test_a_revoked_grant_takes_its_person_out_when_it_was_their_last(scim, world):
    grants.revoke(world["so"], world["grants"]["ann_wiki"])

    assert names(listed(scim)) == ["ben@example.com"]
    assert scim.get(f"{SCIM}/Users/{world['ann'].pk}").status_code == 404


def test_a_revoked_grant_leaves_the_rest_of_a_persons_access(scim, world):
    before = listed(scim)["Resources"][1]
    grants.revoke(world["so"], world["grants"]["ben_sas"])

    ben = listed(scim)["Resources"][1]
    assert [g["display"] for g in ben["groups"]] == ["75FCMC26D0002 Confluence"]
    assert ben["meta"]["lastModified"] >= before["meta"]["lastModified"]


def test_an_ended_account_with_active_access_shows_inactive(scim, world):
    world["ann"].is_active = False
    world["ann"].save()

    assert listed(scim)["Resources"][0]["active"] is False


# --- filter ---------------------------------------------------------------------------


@pytest.mark.parametrize("expression", [
    'userName eq "ann.avery@example.com"',
    'userName eq "ANN.Avery@Example.com"',  # userName is not case exact (RFC 7643 §4.1.1)
    'UserName EQ "ann.avery@example.com"',  # nor are attribute names and operators
    'urn:ietf:params:scim:schemas:core:2.0:User:userName eq "ann.avery@example.com"',
    'displayName eq "ann avery"',
    'externalId eq "ANN.AVERY"',
])
def test_an_equality_filter_finds_the_person(scim, expression):
    body = listed(scim, "?" + _query(filter=expression))

    assert names(body) == ["ann.avery@example.com"]
    assert body["totalResults"] == 1


def _query(**params) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


@pytest.mark.parametrize("expression", [
    'externalId eq "ann.avery"',  # externalId is case exact
    'userName eq "cy@example.com"',
    f'userName eq "{"x" * 300}"',
])
def test_a_filter_that_matches_nobody_lists_nobody(scim, world, expression):
    body = listed(scim, "?" + _query(filter=expression))

    assert body["totalResults"] == 0 and names(body) == []


def test_a_person_without_active_access_is_not_found_by_filter(scim, world):
    body = listed(scim, "?" + _query(filter=f'userName eq "{world["cy"].email}"'))

    assert body["totalResults"] == 0


@pytest.mark.parametrize("expression", [
    'userName ne "ann.avery@example.com"',
    'userName sw "ann"',
    'userName pr',
    'userName eq "a" or userName eq "b"',
    'name.givenName eq "Ann"',
    'emails[type eq "work"]',
    'title eq "x"',
    f'{AGENCY}:harpId eq "ANN.AVERY"',
    'urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "x"',
    'userName eq 3',
    'userName eq',
    '(',
    '',
])
def test_any_other_filter_is_an_invalid_filter_error(scim, expression):
    response = scim.get(f"{SCIM}/Users?" + _query(filter=expression))

    assert response.status_code == 400
    assert response["Content-Type"] == CONTENT_TYPE
    body = response.json()
    assert body["scimType"] == "invalidFilter" and body["status"] == "400"
    assert "userName eq" in body["detail"] or "quotes" in body["detail"]


# --- paging and attributes ------------------------------------------------------------


def test_paging_with_start_index_and_count(scim):
    first = listed(scim, "?count=1")
    second = listed(scim, "?startIndex=2&count=1")
    beyond = listed(scim, "?startIndex=3&count=1")

    assert (names(first), first["totalResults"], first["itemsPerPage"]) == (
        ["ann.avery@example.com"], 2, 1)
    assert (names(second), second["startIndex"]) == (["ben@example.com"], 2)
    assert (names(beyond), beyond["totalResults"], beyond["itemsPerPage"]) == ([], 2, 0)


def test_count_zero_gives_only_the_total_and_out_of_range_values_are_bounded(scim):
    assert listed(scim, "?count=0") | {"Resources": None} == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": 2, "startIndex": 1, "itemsPerPage": 0, "Resources": None}
    assert names(listed(scim, "?startIndex=-5&count=-1")) == []
    assert names(listed(scim, "?startIndex=0&count=100000")) == [
        "ann.avery@example.com", "ben@example.com"]
    assert listed(scim, "?startIndex=99999999999999999999999")["itemsPerPage"] == 0


@pytest.mark.parametrize("query", ["count=many", "startIndex=1.5"])
def test_a_page_number_that_is_not_a_number_is_an_invalid_value(scim, query):
    response = scim.get(f"{SCIM}/Users?{query}")

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"


def test_the_page_size_is_at_most_the_advertised_maximum(scim, world):
    from muster.api.scim.service import MAX_RESULTS

    maximum = scim.get(f"{SCIM}/ServiceProviderConfig").json()["filter"]["maxResults"]
    assert maximum == MAX_RESULTS
    from tests.factories import UserFactory

    from .conftest import grant

    for _ in range(MAX_RESULTS):
        grant(world["alpha"], UserFactory(), world["confluence"], GrantStatus.ACTIVE,
              world["so"])

    body = listed(scim)
    assert body["totalResults"] == MAX_RESULTS + 2
    assert body["itemsPerPage"] == len(body["Resources"]) == MAX_RESULTS


def test_attributes_and_excluded_attributes_shape_the_answer(scim):
    only = listed(scim, "?attributes=userName")["Resources"][0]
    without = listed(scim, "?excludedAttributes=emails,groups")["Resources"][0]

    assert set(only) == {"schemas", "id", "userName"}
    assert "emails" not in without and "groups" not in without and "userName" in without
