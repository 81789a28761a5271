"""Contract services: the lifecycle, roles, and what the database itself refuses."""

import pytest
from django.db import IntegrityError, transaction

from muster.accounts.models import ContractRole, TeamRole
from muster.audit.models import AuditEvent
from muster.contracts import services
from muster.contracts.models import Contract, Stage
from muster.contracts.services import StageError

from ..factories import UserFactory, give_role, make_contract, team_member

pytestmark = pytest.mark.django_db

LIFECYCLE = [
    (Contract.award, Stage.AWARDED),
    (Contract.start_onboarding, Stage.ONBOARDING),
    (Contract.activate, Stage.ACTIVE),
    (Contract.begin_closeout, Stage.CLOSING),
    (Contract.close, Stage.CLOSED),
]


@pytest.fixture
def team():
    return team_member(TeamRole.Role.ONBOARDING_TEAM)


def stage_in_db(contract) -> str:
    return Contract.objects.values_list("stage", flat=True).get(pk=contract.pk)


def test_a_contract_goes_from_solicitation_to_closed(team):
    contract = make_contract()
    assert stage_in_db(contract) == Stage.SOLICITATION
    for transition, stage in LIFECYCLE:
        before = contract.stage
        contract = services.change_stage(team, contract, transition)
        assert contract.stage == stage
        assert stage_in_db(contract) == stage
        event = AuditEvent.objects.filter(contract=contract).order_by("-id").first()
        assert event.action == f"contract.{transition.__name__}"
        assert event.actor == team
        assert event.before == {"stage": before}
        assert event.after == {"stage": stage}


def test_a_closing_contract_can_be_extended_back_to_active(team):
    contract = make_contract()
    for transition, _ in LIFECYCLE[:4]:
        contract = services.change_stage(team, contract, transition)
    contract = services.change_stage(team, contract, Contract.extend)
    assert stage_in_db(contract) == Stage.ACTIVE


@pytest.mark.parametrize(
    ("done", "illegal"),
    [
        (0, Contract.close),  # close a solicitation
        (0, Contract.activate),  # skip award and onboarding
        (1, Contract.award),  # award twice
        (2, Contract.extend),  # extend a contract that is not closing
        (5, Contract.award),  # re-open a closed contract
    ],
)
def test_an_illegal_transition_is_refused_and_changes_nothing(team, done, illegal):
    contract = make_contract()
    for transition, _ in LIFECYCLE[:done]:
        contract = services.change_stage(team, contract, transition)
    stage = stage_in_db(contract)
    events = AuditEvent.objects.count()

    with pytest.raises(StageError, match="cannot"):
        services.change_stage(team, contract, illegal)

    assert stage_in_db(contract) == stage
    assert AuditEvent.objects.count() == events


def test_an_unknown_transition_is_refused(team):
    contract = make_contract()
    with pytest.raises(StageError, match="Unknown transition"):
        services.change_stage(team, contract, Contract.delete)
    assert stage_in_db(contract) == Stage.SOLICITATION


def test_assigning_a_new_so_replaces_the_previous_one_and_audits_it(team):
    contract = make_contract()
    first = UserFactory(email="first.so@example.com")
    second = UserFactory(email="second.so@example.com")
    services.assign_role(team, contract, first, ContractRole.Role.SO)

    services.assign_role(team, contract, second, ContractRole.Role.SO,
                         eua_check=ContractRole.EuaCheck.INITIATED)

    holders = list(contract.roles.filter(role=ContractRole.Role.SO))
    assert [h.user for h in holders] == [second]
    assert holders[0].eua_check == ContractRole.EuaCheck.INITIATED
    event = AuditEvent.objects.filter(action="contract.role_assigned").order_by("-id").first()
    assert event.contract_id == contract.pk
    assert event.actor == team
    assert event.before == {"user": "first.so@example.com"}
    assert event.after == {"user": "second.so@example.com", "role": "so",
                           "eua_check": "initiated"}


def test_assigning_the_same_so_again_changes_nothing(team):
    contract = make_contract()
    so = UserFactory()
    services.assign_role(team, contract, so, ContractRole.Role.SO)
    events = AuditEvent.objects.count()
    services.assign_role(team, contract, so, ContractRole.Role.SO)
    assert contract.roles.filter(role=ContractRole.Role.SO).count() == 1
    assert AuditEvent.objects.count() == events


def test_a_contract_may_have_many_contractor_users(team):
    contract = make_contract()
    for user in UserFactory.create_batch(3):
        services.assign_role(team, contract, user, ContractRole.Role.CONTRACTOR_USER)
    assert contract.roles.filter(role=ContractRole.Role.CONTRACTOR_USER).count() == 3


def test_the_database_refuses_two_cors_on_one_contract():
    contract = make_contract()
    give_role(UserFactory(), contract, ContractRole.Role.COR)
    with pytest.raises(IntegrityError), transaction.atomic():
        give_role(UserFactory(), contract, ContractRole.Role.COR)
    assert contract.roles.filter(role=ContractRole.Role.COR).count() == 1


def test_update_contract_refuses_fields_it_does_not_edit(team):
    contract = make_contract()
    with pytest.raises(ValueError, match="stage"):
        services.update_contract(team, contract, stage=Stage.CLOSED)
    assert stage_in_db(contract) == Stage.SOLICITATION


def test_update_contract_records_before_and_after(team):
    contract = make_contract(name="Old name")
    services.update_contract(team, contract, name="New name", type_of_work="")
    event = AuditEvent.objects.get(action="contract.updated")
    assert event.before == {"name": "Old name"}
    assert event.after == {"name": "New name"}
    # No change, no record.
    services.update_contract(team, contract, name="New name")
    assert AuditEvent.objects.filter(action="contract.updated").count() == 1
