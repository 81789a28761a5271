"""Each list costs the same few queries however many people and groups it shows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from muster.access.models import GrantStatus
from tests.access import approve
from tests.factories import UserFactory, make_contract

from .conftest import SCIM, grant

pytestmark = pytest.mark.django_db

# The token (1), the count (1), the page (1), and what its rows need (1): a group's
# members, or a person's grants with their contracts and services. One resource: the
# token, the row, what it needs.
QUERIES = [("/Users", 4), ("/Groups", 4), ("/Users/{ann}", 3), ("/Groups/{group}", 3),
           ("/Groups?excludedAttributes=members", 3)]


def queries_of(client, path: str) -> int:
    client.get(f"{SCIM}{path}")  # the token's "last used" is written once a minute, at most
    with CaptureQueriesContext(connection) as run:
        response = client.get(f"{SCIM}{path}")
    assert response.status_code == 200
    return len(run.captured_queries)


def grow(world, contracts: int, people: int) -> None:
    """More contracts with both services approved, and people with access to each."""
    for n in range(contracts):
        contract = make_contract(name=f"Grown {n}")
        services = [approve(contract, "confluence"), approve(contract, "sas-viya")]
        for _ in range(people):
            person = UserFactory()
            for service in services:
                grant(contract, person, service, GrantStatus.ACTIVE, world["so"])


@pytest.mark.parametrize("path, expected", QUERIES)
def test_a_list_or_a_resource_costs_the_same_at_two_sizes(scim, world, path, expected):
    path = path.format(ann=world["ann"].pk, group=f"{world['alpha'].pk}-confluence")
    small = queries_of(scim, path)
    grow(world, contracts=3, people=4)  # 2 people, 3 groups → 14 people, 9 groups

    assert queries_of(scim, path) == small == expected
