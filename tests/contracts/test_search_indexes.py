"""The contract list's search on PostgreSQL: its count and its page can be answered from
trigram indexes (contracts migrations 0015, 0017) rather than by reading every contract
(issue 17: the count of a search read all 10,000 contracts, 16 ms on the bench data)."""

import pytest
from django.db import connection

from muster.accounts.models import TeamRole
from muster.contracts.queries import contract_list, filtered_contracts

from ..factories import OrganizationFactory, make_contract, team_member

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="trigram indexes are PostgreSQL's (SQLite searches by scanning)"),
]


def plan(queryset) -> str:
    """The plan PostgreSQL chooses when it may read a table whole only as a last resort
    (with a handful of test rows it would rather read them all)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize("q", ["claims", "26C1001", "TO-12", "bluebird", "HARP-NAME"])
def test_the_search_counts_and_lists_from_indexes_not_by_reading_every_contract(q):
    team = team_member(TeamRole.Role.ONBOARDING_TEAM)
    make_contract(name="Claims Review", contract_number="75FCMC26C1001",
                  task_order_number="TO-12",
                  organization=OrganizationFactory(name="Bluebird LLC", harp_name="HARP-NAME"))
    make_contract(name="Other", contract_number="75FCMC26C1002")

    count = filtered_contracts(team, q=q)
    assert count.count() == 1
    counting = plan(count.values("pk"))
    listing = plan(contract_list(team, q=q)[:25])
    for found in (counting, listing):
        assert "Seq Scan on contracts_contract" not in found, found
        assert "Seq Scan on contracts_organization" not in found, found
    assert "_trgm" in counting
