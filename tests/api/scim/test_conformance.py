"""scim2-tester (python-scim's conformance checker) against Muster on a live server: no
check that applies to a read-only service provider fails.

Run (tags "discovery" and "misc"): /ServiceProviderConfig; /ResourceTypes, each by id,
each one's schema readable, an unknown id a 404 Error; /Schemas, each by id, an unknown id
a 404 Error; POST, PUT, PATCH and DELETE on each discovery endpoint a 405; an unknown URL
a 404 Error. And core_schemas_validation (not part of check_server): /Schemas lists the
ResourceType, ServiceProviderConfig and Schema schemas.

Skipped (left out of include_tags), because each needs a write this service does not
offer (it answers 501):
- "crud" (crud:create, crud:read, crud:read:attributes, crud:update, crud:delete): even
  its read checks first create a resource with POST, then read it back and delete it;
- "patch" (patch:add, patch:remove, patch:replace): PATCH on a resource made with POST.
(Not exclude_tags={"crud", "patch"}: scim2-tester 0.5 then also skips the checks tagged
"*", the /ServiceProviderConfig read among them, and so every later check.)
The reads the skipped checks would make are made in the second test instead, with the
same client (scim2-client) validating every answer against the schemas the server
published.
"""

import pytest
import requests
from scim2_client import BaseSyncSCIMClient, RequestNetworkException
from scim2_tester import CheckConfig, Status, check_server
from scim2_tester.checkers import core_schemas_validation
from scim2_tester.utils import CheckContext

from .conftest import SCIM, build_world, client_token

# The data the migrations seed (the catalog) survives each test.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

READ_ONLY_CHECKS = {"discovery", "misc"}


class RequestsSCIMClient(BaseSyncSCIMClient):
    """scim2-client over `requests` (its own engine needs httpx2, which Muster does not
    install): real HTTP to the live server, with the client's token on every call."""

    def __init__(self, base_url: str, token: str, **kwargs):
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str, url: str, **kwargs) -> requests.Response:
        try:
            return self.session.request(method, self.base_url + url, timeout=30, **kwargs)
        except requests.RequestException as exc:
            raise RequestNetworkException() from exc


@pytest.fixture
def client(live_server):
    world = build_world()
    scim = RequestsSCIMClient(live_server.url + SCIM, client_token(world["team"]))
    yield scim, world
    scim.session.close()


def test_scim2_tester_finds_no_failure_on_what_a_read_only_provider_does(client):
    scim, _ = client

    results = check_server(scim, include_tags=READ_ONLY_CHECKS)
    # Not among check_server's own: the core schemas of discovery listed in /Schemas.
    results += core_schemas_validation(CheckContext(scim, CheckConfig()))

    failures = [r for r in results if r.status in (Status.ERROR, Status.CRITICAL)]
    assert failures == []
    ran = {r.title for r in results if r.status == Status.SUCCESS}
    assert {"service_provider_config_endpoint", "query_all_resource_types",
            "query_resource_type_by_id", "resource_types_schema_validation",
            "access_invalid_resource_type", "resource_types_endpoint_methods",
            "query_all_schemas", "access_schema_by_id", "access_invalid_schema",
            "core_schemas_validation", "schemas_endpoint_methods", "random_url"} <= ran
    skipped = {r.title for r in results if r.status == Status.SKIPPED}
    assert skipped and all(r.tags & {"crud:create", "crud:read", "crud:read:attributes",
                                     "crud:update", "crud:delete", "patch:add",
                                     "patch:remove", "patch:replace"}
                           for r in results if r.status == Status.SKIPPED)


def test_what_users_and_groups_answer_matches_the_published_schemas(client):
    scim, world = client
    scim.discover()
    user_model = scim.provider.model_for("User")
    group_model = scim.provider.model_for("Group")

    users = scim.query(user_model)
    groups = scim.query(group_model)
    ann = scim.query(user_model, str(world["ann"].pk))
    group = scim.query(group_model, f"{world['alpha'].pk}-confluence")

    assert [u.user_name for u in users.resources] == ["ann.avery@example.com",
                                                      "ben@example.com"]
    assert users.total_results == 2 and groups.total_results == 3
    assert ann.display_name == "Ann Avery"
    assert [m.display for m in group.members] == ["Ann Avery"]
