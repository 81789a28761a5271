"""Building a package reads the same number of queries however many grants, steps and
events the contract has."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from muster.access.models import AccessGrant, GrantStatus
from muster.accounts.models import ContractRole
from muster.audit import services as audit
from muster.catalog.models import Service
from muster.evidence.package import build

from ..factories import UserFactory, give_role


def add_grants(contract, so, n):
    sas = Service.objects.get(slug="sas-viya")
    for _ in range(n):
        user = UserFactory()
        give_role(user, contract, ContractRole.Role.CONTRACTOR_USER)
        grant = AccessGrant.objects.create(contract=contract, user=user, service=sas,
                                           status=GrantStatus.ACTIVE, requested_by=so)
        audit.record(so, "access.requested", grant, "Requested", contract=contract)
        audit.record(so, "access.confirmed", grant, "Confirmed", contract=contract)


def queries_to_build(actor, contract) -> int:
    with CaptureQueriesContext(connection) as captured:
        build(actor, contract)
    return len(captured.captured_queries)


def test_the_queries_do_not_grow_with_the_grants(people, freeze_today):
    freeze_today()
    mine, so = people["mine"], people["so"]
    add_grants(mine, so, 2)
    few = queries_to_build(people["cor"], mine)
    add_grants(mine, so, 12)
    assert queries_to_build(people["cor"], mine) == few
