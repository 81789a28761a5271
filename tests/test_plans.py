"""muster/plans.py: fixed values written into the SQL, so that a prepared statement's kept
plan can use the partial indexes that name them."""

import pytest
from django.db import connection

from muster.accounts.models import ContractRole
from muster.plans import ConstantIn
from muster.work.items import KINDS

from .factories import UserFactory, give_role, make_contract

pytestmark = pytest.mark.django_db


def test_it_keeps_the_rows_in_keeps_and_passes_no_parameter():
    contract = make_contract()
    people = [UserFactory() for _ in range(3)]
    for person, role in zip(people, ("cor", "so", "poc"), strict=True):
        give_role(person, contract, role)
    kept = ContractRole.objects.filter(ConstantIn("role", ["cor", "so"]))
    assert sorted(kept.values_list("role", flat=True)) == ["cor", "so"]
    assert sorted(kept.values_list("role", flat=True)) == sorted(
        ContractRole.objects.filter(role__in=["cor", "so"]).values_list("role", flat=True))
    sql, params = kept.query.get_compiler(connection.alias).as_sql()
    assert "IN ('cor', 'so')" in sql
    assert not [p for p in params if isinstance(p, str)]  # (SQLite's "= true" aside)


@pytest.mark.parametrize("values", [[], ["cor' OR 1=1 --"], ["Cor"], ["a" * 65]])
def test_it_takes_only_plain_constants(values):
    with pytest.raises(ValueError, match="not plain constants"):
        ConstantIn("role", values)


@pytest.mark.parametrize("key", list(KINDS))
def test_each_kinds_open_statuses_are_in_the_sql_not_parameters(key):
    """My work's lists for the team pass no parameter at all: PostgreSQL keeps one plan
    for each, made with the partial indexes of the open rows (7 ms of planning a visit
    for the unassigned grants alone, without)."""
    kind = KINDS[key]
    sql, params = kind.open_rows()[:25].query.get_compiler(connection.alias).as_sql()
    assert all(f"'{status}'" in sql for status in kind.statuses)
    assert not set(kind.statuses) & {p for p in params if isinstance(p, str)}
