"""The contract list of someone who sees every contract reads it with queries built once
per process for each combination of filters and sort (contracts.queries.TeamList): page by
page the same contracts, columns and counts as the ORM's filtered_contracts and listed."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from muster.accounts.models import ContractRole
from muster.catalog.models import Service
from muster.contracts import queries
from muster.contracts.models import Contract, Stage

from ..factories import OrganizationFactory, activate, give_role, make_contract, request_service

pytestmark = pytest.mark.django_db


def shown(contracts) -> list[dict]:
    """The ORM's contracts as the list page reads its rows (queries.ROW_VALUES)."""
    return list(contracts.values(*queries.ROW_VALUES, "cor_name"))


@pytest.fixture
def contracts(people, freeze_today):
    freeze_today()
    made = []
    for n in range(5):
        contract = make_contract(name=f"Listed {n}", organization=OrganizationFactory())
        if n % 2:
            contract = activate(contract)
            request_service(contract, "slack")
        give_role(people["cor"] if n < 3 else people["other_cor"], contract,
                  ContractRole.Role.COR)
        made.append(contract)
    Contract.objects.filter(pk=made[4].pk).update(next_step_due=None)
    return made


FILTERS = [
    {}, {"stage": Stage.ACTIVE}, {"overdue": True}, {"stage": Stage.ACTIVE, "overdue": True},
    {"cor": "cor"}, {"service": "slack"}, {"cor": "other_cor", "service": "slack"},
    # A search: in the contract's name, number, task order or its organization's names.
    {"q": "listed"}, {"q": "Listed 3"}, {"q": "contractor"}, {"q": "%"}, {"q": "_"},
    {"q": "nothing like it"}, {"q": "sted", "stage": Stage.ACTIVE, "overdue": True},
]


@pytest.mark.parametrize("sort", ["name", "-name", "number", "stage", "-pop_end", "next_due"])
@pytest.mark.parametrize("chosen", FILTERS)
def test_each_filter_and_sort_holds_what_the_orms_would(people, contracts, sort, chosen):
    team = people["onboarding_team"]
    chosen = dict(chosen)
    if "cor" in chosen:
        chosen["cor"] = people[chosen["cor"]]
    if "service" in chosen:
        chosen["service"] = Service.objects.get(slug=chosen["service"])
    listed, counted = queries.list_pages(team, sort=sort, **chosen)
    assert isinstance(listed, queries.TeamList) and counted is listed
    contracts_by_orm = queries.filtered_contracts(team, **chosen)
    by_orm = queries.listed(contracts_by_orm, sort=sort)
    assert listed.count() == contracts_by_orm.count()
    for start, stop in ((0, 25), (0, 2), (2, 4), (5, 7)):
        assert listed[start:stop] == shown(by_orm[start:stop])


def test_a_filter_that_leaves_nothing_counts_none(people, contracts):
    listed, _ = queries.list_pages(people["onboarding_team"], stage=Stage.CLOSED)
    assert listed.count() == 0 and listed[0:25] == []


@pytest.mark.parametrize("case", ["cor words", "a cor"])
def test_a_cors_words_and_those_who_see_less_are_read_by_the_orm(people, contracts, case):
    who, chosen = {
        "cor words": (people["onboarding_team"], {"cor": "Cora"}),
        "a cor": (people["cor"], {}),
    }[case]
    listed, counted = queries.list_pages(who, **chosen)
    assert not isinstance(listed, queries.TeamList)
    assert listed.count() == counted.count() > 0


def test_the_count_reads_ids_in_no_order(people, contracts):
    """As QuerySet.count() does: the compiled count once sorted every contract by name."""
    listed, _ = queries.list_pages(people["onboarding_team"])
    every = Contract.objects.count()
    with CaptureQueriesContext(connection) as captured:
        assert listed.count() == every
    (count,) = captured.captured_queries
    assert "ORDER BY" not in count["sql"] and '"contracts_contract"."name"' not in count["sql"]
