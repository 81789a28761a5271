"""The contract page's reads built once per process (contracts.queries.contract_page and
related_records) answer as the ORM's: the same contract, parties, services and steps, the
same 404 for a contract the person cannot see, the same records it follows and is followed
by, for the team, for a party and for a service lead (who reads through the ORM)."""

import datetime

import pytest
from django.http import Http404

from muster.accounts import permissions
from muster.accounts.models import ContractRole
from muster.closeout.models import Closeout
from muster.contracts import queries

from ..factories import give_role, make_contract

pytestmark = pytest.mark.django_db
READERS = ["onboarding_team", "cor", "so", "sas_lead", "confluence_lead", "other_cor"]


def _seen(contract):
    return (contract.pk, contract.name, contract.organization_id, contract.contractor_users,
            sorted((r.pk, r.role, r.user.full_name) for r in contract.roles.all()),
            [(s.pk, s.service.name) for s in contract.services.all()],
            [(s.pk, s.name) for s in contract.steps.all()])


@pytest.mark.parametrize("who", READERS)
def test_the_page_reads_the_contract_the_orm_reads_or_answers_404(people, who):
    person = people[who]
    for contract in (people["mine"], people["other"]):
        visible = permissions.visible_contracts(person).filter(pk=contract.pk).exists()
        if not visible:
            with pytest.raises(Http404):
                queries.contract_page(person, contract.pk)
            continue
        read = queries.contract_page(person, contract.pk)
        orm = permissions.contract_for(person, contract.pk,
                                       permissions.Action.VIEW_CONTRACT)
        orm.contractor_users = ContractRole.objects.filter(
            contract=orm, role="contractor_user").count() or None
        assert _seen(read) == _seen(orm)
    with pytest.raises(Http404):
        queries.contract_page(person, 2_000_000_000)


@pytest.mark.parametrize("who", READERS)
def test_the_records_followed_are_those_the_orm_finds(people, who):
    mine, other = people["mine"], people["other"]
    sequel = make_contract(name="Mine, the sequel")
    prequel = make_contract(name="Mine, the prequel")
    give_role(people["cor"], sequel, ContractRole.Role.COR)
    day = datetime.date(2027, 1, 1)
    Closeout.objects.create(contract=mine, pop_end=day, successor=sequel)
    Closeout.objects.create(contract=prequel, pop_end=day, successor=mine)
    Closeout.objects.create(contract=other, pop_end=day, successor=mine)
    person = people[who]
    for contract in (mine, sequel, prequel):
        by_orm = list(queries._related(
            lambda c, person=person: permissions.visible_contracts(person, c), contract.pk))
        found = queries.related_records(person, contract)
        assert [(c.pk, str(c), c.get_absolute_url()) for c in found["follows"]] == [
            (c.pk, str(c), c.get_absolute_url()) for c in by_orm if c.followed == 0]
        assert [c.pk for c in found["followed_by"]] == [
            c.pk for c in by_orm if c.followed == 1]
    # Each list by name; what the person may open only (the COR is not on the prequel's).
    found = queries.related_records(person, mine)
    if who == "onboarding_team":
        assert [c.pk for c in found["follows"]] == [prequel.pk, other.pk]
    if who in ("onboarding_team", "cor"):
        assert [c.pk for c in found["followed_by"]] == [sequel.pk]
    if who == "cor":
        assert found["follows"] == []
