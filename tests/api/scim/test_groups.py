"""/Groups: a group per approved service per contract, its members the active grants."""

from urllib.parse import urlencode

import pytest

from muster.access import grants

from .conftest import CONTENT_TYPE, SCIM

pytestmark = pytest.mark.django_db


def listed(client, **params) -> dict:
    response = client.get(f"{SCIM}/Groups?{urlencode(params)}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == CONTENT_TYPE
    return response.json()


def by_name(body: dict) -> dict:
    return {g["displayName"]: g for g in body.get("Resources", [])}


def member_names(group: dict) -> list[str]:
    return [m["display"] for m in group.get("members", [])]


def test_each_approved_service_of_each_contract_is_a_group_of_its_active_members(scim):
    groups = by_name(listed(scim))

    # In a stable order: by contract, then by service.
    assert list(groups) == ["75FCMC26D0001 SAS Viya", "75FCMC26D0001 Confluence",
                            "75FCMC26D0002 Confluence"]
    assert member_names(groups["75FCMC26D0001 Confluence"]) == ["Ann Avery"]  # not Ben, Cy
    assert member_names(groups["75FCMC26D0001 SAS Viya"]) == ["Ben Bell"]  # not Di (paused)
    assert member_names(groups["75FCMC26D0002 Confluence"]) == ["Ben Bell"]


def test_a_group_names_its_members_as_users(scim, world):
    group = by_name(listed(scim))["75FCMC26D0001 Confluence"]
    ann = world["ann"].pk

    assert group["id"] == f"{world['alpha'].pk}-confluence"
    assert group["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:Group"]
    assert group["members"] == [{"value": str(ann), "$ref": f"http://testserver{SCIM}/Users/{ann}",
                                 "type": "User", "display": "Ann Avery"}]
    assert group["meta"]["resourceType"] == "Group"
    assert group["meta"]["location"] == f"http://testserver{SCIM}/Groups/{group['id']}"


def test_a_group_is_read_by_id_and_an_unknown_one_is_not_found(scim, world):
    beta = world["beta"].pk

    found = scim.get(f"{SCIM}/Groups/{beta}-confluence")
    unapproved = scim.get(f"{SCIM}/Groups/{beta}-sas-viya")
    nonsense = scim.get(f"{SCIM}/Groups/confluence")

    assert found.status_code == 200 and found.json()["displayName"] == "75FCMC26D0002 Confluence"
    for response in (unapproved, nonsense):
        assert response.status_code == 404
        assert response["Content-Type"] == CONTENT_TYPE
        assert response.json()["status"] == "404"


def test_a_revoked_grant_leaves_its_group(scim, world):
    grants.revoke(world["so"], world["grants"]["ben_sas"])

    group = scim.get(f"{SCIM}/Groups/{world['alpha'].pk}-sas-viya").json()
    assert member_names(group) == []
    assert by_name(listed(scim))["75FCMC26D0002 Confluence"]["members"]  # his other access


@pytest.mark.parametrize("expression", ['displayName eq "75FCMC26D0001 Confluence"',
                                        'displayName eq "75fcmc26d0001 confluence"'])
def test_a_group_is_found_by_its_display_name(scim, expression):
    body = listed(scim, filter=expression)

    assert list(by_name(body)) == ["75FCMC26D0001 Confluence"]
    assert body["totalResults"] == 1


def test_no_group_has_an_external_id(scim):
    assert listed(scim, filter='externalId eq "x"')["totalResults"] == 0


@pytest.mark.parametrize("expression", ['userName eq "ann.avery@example.com"',
                                        'members[value eq "1"]', 'displayName co "Conf"'])
def test_any_other_group_filter_is_an_invalid_filter_error(scim, expression):
    response = scim.get(f"{SCIM}/Groups?{urlencode({'filter': expression})}")

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidFilter"


def test_paging_through_groups(scim):
    pages = [listed(scim, startIndex=start, count=2) for start in (1, 3)]

    assert [len(p["Resources"]) for p in pages] == [2, 1]
    assert {p["totalResults"] for p in pages} == {3}
    assert len({g["id"] for p in pages for g in p["Resources"]}) == 3


def test_members_can_be_left_out(scim):
    body = listed(scim, excludedAttributes="members")

    assert all("members" not in g for g in body["Resources"])
    assert all("displayName" in g for g in body["Resources"])
