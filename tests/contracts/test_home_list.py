"""The home page of a person who sees the contracts they hold a role on reads them with
queries built once per process (contracts.queries.home_list): page by page the same
contracts, next steps and counts as the ORM's home_contracts."""

import pytest

from muster.accounts.models import ContractRole
from muster.contracts import queries
from muster.contracts.models import Contract

from ..factories import OrganizationFactory, activate, give_role, make_contract

pytestmark = pytest.mark.django_db


def shown(contracts) -> list[dict]:
    """The ORM's contracts as the home page reads its rows (queries.ROW_VALUES)."""
    return list(contracts.values(*queries.ROW_VALUES))


def test_a_cors_home_pages_hold_what_the_orms_would(people, freeze_today):
    freeze_today()
    cor = people["cor"]  # COR of `mine`
    for n in range(4):
        contract = make_contract(name=f"Held {n}", organization=OrganizationFactory())
        if n % 2:
            contract = activate(contract)
        give_role(cor, contract, ContractRole.Role.COR if n else ContractRole.Role.POC)
    closed = make_contract(name="Closed one")
    Contract.objects.filter(pk=closed.pk).update(stage="closed")
    give_role(cor, closed, ContractRole.Role.COR)

    listed, by_orm = queries.home_list(cor), queries.home_contracts(cor)
    assert isinstance(listed, queries.PartyHome)
    assert listed.count() == by_orm.count() == 5  # `mine` and four; not the closed one
    for start, stop in ((0, 25), (0, 2), (2, 4), (4, 6)):
        assert listed[start:stop] == shown(by_orm[start:stop])
    overdue = [c for c in listed[0:25] if c["is_overdue"]]
    assert overdue and all(c["overdue_count"] > 0 for c in overdue)  # as of today's value
    assert any(c["organization__name"] for c in listed[0:25])  # the joined names, read


def test_someone_holding_no_role_has_an_empty_home(people):
    listed = queries.home_list(people["outsider"])
    assert isinstance(listed, queries.PartyHome)
    assert listed.count() == 0 and listed[0:25] == []


@pytest.mark.parametrize("role", ["onboarding_team", "administrator", "sas_lead"])
def test_those_who_see_more_than_their_roles_are_read_by_the_orm(people, role):
    """The team sees every contract, a service lead their services' too."""
    assert not isinstance(queries.home_list(people[role]), queries.PartyHome)
