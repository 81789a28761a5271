"""muster/workflow.py: the lock, version check, role check, transition and audit every
app's guarded changes share."""

import pytest
from django.db import transaction

from muster import workflow
from muster.accounts.models import ContractRole, TeamRole
from muster.accounts.permissions import Action
from muster.audit.models import AuditEvent
from muster.errors import DomainError, NotAllowed
from muster.onboarding.models import OnboardingRequest, Status
from tests.factories import UserFactory, give_role, make_contract, team_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_row():
    cor = UserFactory()
    contract = make_contract()
    give_role(cor, contract, ContractRole.Role.COR)
    return OnboardingRequest.objects.create(contract=contract, created_by=cor)


def test_a_version_someone_else_moved_past_is_refused_as_stale(request_row):
    OnboardingRequest.objects.filter(pk=request_row.pk).update(version=2)
    with transaction.atomic(), pytest.raises(workflow.StaleChange, match="Someone else"):
        workflow.locked(request_row, version=1)


def test_the_callers_own_stale_error_is_raised_when_given(request_row):
    OnboardingRequest.objects.filter(pk=request_row.pk).update(version=2)
    with transaction.atomic(), pytest.raises(DomainError, match="request moved on"):
        workflow.locked(request_row, version=1, stale=DomainError("request moved on"))


def test_the_current_version_gives_the_row_as_stored_now(request_row):
    OnboardingRequest.objects.filter(pk=request_row.pk).update(version=3)
    with transaction.atomic():
        fresh = workflow.locked(request_row, version=3, related=["contract"])
    assert fresh.version == 3 and fresh.contract == request_row.contract


def test_a_role_the_rules_do_not_allow_is_a_403(request_row):
    stranger = UserFactory()
    with pytest.raises(NotAllowed):
        workflow.require(stranger, Action.REVIEW_INTAKE, request_row.contract)
    workflow.require(team_member(TeamRole.Role.ONBOARDING_TEAM), Action.REVIEW_INTAKE,
                     request_row.contract)


def test_a_transition_moves_the_state_bumps_the_version_and_is_audited(request_row):
    actor = request_row.created_by
    workflow.transition(actor, request_row, request_row.withdraw, "Withdrawn",
                        event="onboarding.withdraw", contract=request_row.contract,
                        refused=DomainError("cannot"), after={"reason": "not needed"})
    stored = OnboardingRequest.objects.get(pk=request_row.pk)
    assert (stored.status, stored.version) == (Status.WITHDRAWN, 2)
    event = AuditEvent.objects.get(action="onboarding.withdraw")
    assert event.before == {"status": "draft"}
    assert event.after == {"status": "withdrawn", "reason": "not needed"}


def test_a_transition_the_state_does_not_allow_changes_nothing(request_row):
    with pytest.raises(DomainError, match="cannot be reviewed"):
        workflow.transition(request_row.created_by, request_row, request_row.mark_reviewed,
                            "Reviewed", event="onboarding.mark_reviewed",
                            contract=request_row.contract,
                            refused=DomainError("A draft cannot be reviewed."))
    stored = OnboardingRequest.objects.get(pk=request_row.pk)
    assert (stored.status, stored.version) == (Status.DRAFT, 1)
    assert not AuditEvent.objects.filter(action="onboarding.mark_reviewed").exists()


def test_people_and_team_addresses_are_read_by_role(request_row):
    member = team_member(TeamRole.Role.ONBOARDING_TEAM, email="team.one@example.com")
    assert workflow.people_with_roles(request_row.contract, ContractRole.Role.COR) == [
        request_row.created_by
    ]
    assert workflow.people_with_roles(request_row.contract, ContractRole.Role.SO) == []
    assert member.email in workflow.team_emails()
