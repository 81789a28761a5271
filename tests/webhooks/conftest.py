"""Fixtures of the webhook tests: a real receiver, an endpoint registered for it, and a
contract with a roster member whose access is active."""

import pytest

from muster.access.models import AccessGrant, GrantStatus
from muster.accounts.models import ContractRole, TeamRole
from muster.catalog.models import Service
from muster.contracts.models import ContractService
from muster.webhooks import services as webhooks
from tests.factories import UserFactory, give_role, make_contract, team_member

from .receiver import Receiver


@pytest.fixture
def receiver():
    running = Receiver().start()
    yield running
    running.stop()


@pytest.fixture
def team(db):
    return team_member(TeamRole.Role.ONBOARDING_TEAM, full_name="Tess Team")


@pytest.fixture
def endpoint_for(team):
    """Register an endpoint for `url` and event types, as the team; (endpoint, secret)."""

    def register(url, *event_types, description="Identity system"):
        return webhooks.register(team, url=url, description=description,
                                 event_types=event_types or ["grant.revoked"])

    return register


@pytest.fixture
def scene(db, team):
    """A contract whose SO manages the roster, with Cody on it holding active SAS Viya."""
    contract = make_contract(name="Alder Analytics", contract_number="75FCMC26C0901")
    service = Service.objects.get(slug="confluence")
    ContractService.objects.create(contract=contract, service=service,
                                   status=ContractService.Status.APPROVED)
    so = UserFactory(full_name="Sol SO")
    cody = UserFactory(full_name="Cody User", email="cody@alder.example.com",
                       harp_id="CODY1234")
    give_role(so, contract, ContractRole.Role.SO)
    give_role(cody, contract, ContractRole.Role.CONTRACTOR_USER)
    grant = AccessGrant.objects.create(
        contract=contract, user=cody, service=service, status=GrantStatus.ACTIVE,
        eua_job_code=service.eua_job_code, requested_by=so,
    )
    return {"contract": contract, "service": service, "so": so, "cody": cody,
            "grant": grant, "team": team}
