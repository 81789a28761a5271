"""A contractor user's home lists their access: each contract's services and their state."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from muster.access.models import AccessGrant, GrantStatus
from muster.accounts.models import ContractRole
from muster.catalog.models import Service
from muster.contracts.models import ContractService

from ..factories import give_role, make_contract, request_service, signed_in
from ..onboarding.test_notices import text_of

pytestmark = pytest.mark.django_db


def grant(contract, user, slug, status, so):
    return AccessGrant.objects.create(contract=contract, user=user, requested_by=so,
                                      service=Service.objects.get(slug=slug), status=status)


def test_the_home_lists_each_service_and_its_state(client, people):
    mine, user = people["mine"], people["contractor_user"]
    for slug, status in [("sas-viya", GrantStatus.ACTIVE), ("confluence", GrantStatus.PAUSED),
                         ("slack", GrantStatus.REQUESTED), ("jira-service-management",
                                                            GrantStatus.REVOKED)]:
        grant(mine, user, slug, status, people["so"])
    bare = make_contract(name="Bare Contract")
    give_role(user, bare, ContractRole.Role.CONTRACTOR_USER)
    signed_in(client, user)

    body = text_of(client.get("/"))

    section = body[body.index("Your access"):]
    assert "Mine" in section
    assert "SAS Viya Active" in section
    assert "Confluence Paused" in section
    assert "Slack Requested" in section
    assert "Jira Service Management Revoked" in section
    assert "Bare Contract" in section
    assert "no access to any service yet" in section
    assert "My access" in section


def test_the_home_reads_access_in_the_same_queries_for_more_contracts(client, people):
    user = people["contractor_user"]
    signed_in(client, user)

    def add_contract():
        contract = make_contract()
        give_role(user, contract, ContractRole.Role.CONTRACTOR_USER)
        request_service(contract, "confluence", ContractService.Status.APPROVED)
        grant(contract, user, "confluence", GrantStatus.ACTIVE, people["so"])

    add_contract()
    client.get("/")
    with CaptureQueriesContext(connection) as few:
        client.get("/")
    for _ in range(6):
        add_contract()
    with CaptureQueriesContext(connection) as many:
        page = client.get("/")
    assert text_of(page).count("Confluence Active") == 7
    assert len(many) == len(few)
