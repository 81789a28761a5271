"""contract_for, given no query set, reads the contract by a query built once and decides
who sees it from their roles on it (sees_contract): held here to visible_contracts, the
rule as the ORM writes it, for every kind of person and contract."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from muster.accounts import permissions
from muster.accounts.models import User
from muster.accounts.permissions import Action, contract_for, sees_contract, visible_contracts
from muster.contracts.models import Contract

pytestmark = pytest.mark.django_db


def fresh(user) -> User:
    """The person as a new request reads them: nothing kept of their roles."""
    return User.objects.get(pk=user.pk)


def test_who_sees_a_contract_is_who_visible_contracts_holds(people):
    contracts = list(Contract.objects.all())
    people = {k: v for k, v in people.items() if isinstance(v, User)}
    for name, person in people.items():
        for contract in contracts:
            expected = visible_contracts(fresh(person)).filter(pk=contract.pk).exists()
            assert sees_contract(fresh(person), contract) == expected, (name, contract)
            for action in (Action.VIEW_CONTRACT, Action.VIEW_ROSTER, Action.MANAGE_ROSTER):
                answer = _answer(fresh(person), contract.pk, action)
                as_the_orm = _answer(fresh(person), contract.pk, action,
                                     queryset=Contract.objects.all())
                assert answer == as_the_orm, (name, contract, action)


def _answer(*args, **kwargs) -> str:
    try:
        return f"contract {contract_for(*args, **kwargs).pk}"
    except Http404:
        return "404"
    except PermissionDenied:
        return "403"


@pytest.mark.parametrize("pk", [0, -1, 10**20, "12a", None, "", 2**63 - 1])
def test_an_id_that_names_no_contract_is_a_404(people, pk):
    with pytest.raises(Http404):
        contract_for(fresh(people["onboarding_team"]), pk, Action.VIEW_CONTRACT)


def test_the_contract_then_the_roles_asked_after_it_read_nothing_more(
        people, django_assert_num_queries):
    so, mine = fresh(people["so"]), people["mine"]
    with django_assert_num_queries(3):  # their team roles, the contract, their roles on it
        assert contract_for(so, str(mine.pk), Action.MANAGE_ROSTER) == mine
        assert permissions.can(so, Action.VIEW_ROSTER, mine)


def test_someone_signed_out_sees_no_contract(people, django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser

    with django_assert_num_queries(0), pytest.raises(Http404):
        contract_for(AnonymousUser(), people["mine"].pk, Action.VIEW_CONTRACT)


def test_a_reawards_new_record_is_carried_over_as_its_closeout_says(people):
    """carried_over asks, by a query built once, what its ORM query asked: whether a
    closeout names the contract as a re-award to the incumbent's successor."""
    import datetime

    from muster.closeout.models import Closeout, Scenario

    mine, other = people["mine"], people["other"]
    third = Contract.objects.create(name="Third", contract_number="75FCMC26C0999",
                                    organization=mine.organization)
    Closeout.objects.create(contract=mine, pop_end=datetime.date(2027, 11, 30),
                            scenario=Scenario.REAWARD_INCUMBENT, successor=other)
    Closeout.objects.create(contract=other, pop_end=datetime.date(2027, 11, 30),
                            scenario=Scenario.OTHER_CONTRACTOR, successor=third)
    for contract in (mine, other, third):
        contract = Contract.objects.get(pk=contract.pk)
        if contract.stage in ("reawarded", "withdrawn"):
            continue
        expected = contract.predecessor_closeouts.filter(
            scenario=Scenario.REAWARD_INCUMBENT).exists()
        assert permissions.carried_over(contract) == expected, contract
    assert permissions.carried_over(Contract.objects.get(pk=other.pk))
    assert not permissions.carried_over(Contract.objects.get(pk=third.pk))
    assert not permissions.carried_over(Contract(name="Unsaved"))
