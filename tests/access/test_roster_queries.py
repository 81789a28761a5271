"""The roster's reads built once per process (access.queries, access.dua, muster/compiled.py),
read as rows where a page shows a few columns: they answer as the ORM's query sets do, page
by page, searched or not."""

import datetime

import pytest
from django.db.models import Count

from muster import clock
from muster.access import queries
from muster.access.dua import valid_dua
from muster.access.models import AccessGrant, GrantStatus, RosterImport
from muster.catalog.models import Service
from muster.contracts.models import ContractService, DataUseAgreement
from tests.factories import UserFactory, give_role

from . import approve, give_dua

pytestmark = pytest.mark.django_db


def orm_members(contract, q=""):
    """The roster as the ORM read it: roles and users by name, then each one's grants on
    the contract by service (what Members gave before it read rows)."""
    roles = (contract.roles.filter(role=queries.MEMBER).select_related("user")
             .order_by(*queries._by_name("user__")))
    if q:
        roles = [r for r in roles
                 if q.lower() in r.user.full_name.lower() or q.lower() in r.user.email]
    grants = queries.grants_by_user(contract)
    return [(r.user_id, r.user.full_name, r.user.email, r.user.harp_id, r.eua_check,
             [(g.pk, g.status, g.service_id, g.service.name, g.eua_job_code)
              for g in grants.get(r.user_id, [])])
            for r in roles]


def as_read(members):
    return [(m.user_id, m.full_name, m.email, m.harp_id, m.eua_check,
             [(g.pk, g.status, g.service_id, g.service_name, g.eua_job_code) for g in m.grants])
            for m in members]


@pytest.fixture
def roster(people):
    """`mine`'s roster: people with no grant, one, or several (one revoked, with an EUA job
    code); names that sort by case; a grant of theirs on another contract, and someone on
    another contract's roster, neither of which shows."""
    mine, other = people["mine"], people["other"]
    sas, confluence = approve(mine, "sas-viya"), approve(mine, "confluence")
    approve(other, "confluence")
    for n, name in enumerate(["bea Low", "Ann Up", "Cy Three", "ann up", "Dee", "Eve"]):
        user = UserFactory(full_name=name, email=f"r{n}@example.org", harp_id=f"H{n}" * (n % 2))
        give_role(user, mine, "contractor_user")
        for service in [sas, confluence][:n % 3]:
            AccessGrant.objects.create(contract=mine, user=user, service=service,
                                       requested_by=people["so"], eua_job_code=f"J{n}",
                                       status=GrantStatus.REVOKED if n == 4 else "requested")
        AccessGrant.objects.create(contract=other, user=user, service=confluence,
                                   requested_by=people["so"])
    give_role(UserFactory(full_name="Elsewhere"), other, "contractor_user")
    return mine


@pytest.mark.parametrize("q", ["", "AN", "example.org", "nobody"])
def test_each_page_of_the_roster_is_the_orms(roster, q):
    members = queries.members(roster, q)
    expected = orm_members(roster, q)
    assert members.count() == len(expected)
    pages = [as_read(members[start:start + 2]) for start in range(0, len(expected) + 2, 2)]
    assert [row for page in pages for row in page] == expected
    assert as_read(members[0:50]) == expected


def test_the_roster_size_counts_the_roles(roster):
    assert queries.roster_size(roster) == roster.roles.filter(role=queries.MEMBER).count()


def test_the_approved_services_grant_counts_and_open_imports_are_the_orms(roster, people):
    ContractService.objects.filter(contract=roster, service__slug="sas-viya").update(
        status=ContractService.Status.REQUESTED)
    approve(roster, "jira-service-management")
    assert queries.approved_services(roster) == [
        cs.service for cs in ContractService.objects.filter(
            contract=roster, status=ContractService.Status.APPROVED
        ).select_related("service").order_by("service__order", "service__name")]
    assert queries.approved_services(people["other"]) == [Service.objects.get(slug="confluence")]

    counts = dict(roster.access_grants.values_list("status").annotate(n=Count("pk")).order_by())
    assert queries.grant_counts(roster) == {s.value: counts.get(s.value, 0) for s in GrantStatus}

    for n, status in enumerate([*[RosterImport.Status.PREVIEW] * 6, RosterImport.Status.IMPORTED]):
        RosterImport.objects.create(contract=roster, filename=f"f{n}.csv", rows=[],
                                    status=status, uploaded_by=people["so"],
                                    uploaded_at=clock.now() - datetime.timedelta(hours=n))
    assert queries.open_imports(roster) == list(RosterImport.objects.filter(
        contract=roster, status=RosterImport.Status.PREVIEW).order_by("-uploaded_at")[:5])
    assert len(queries.open_imports(roster)) == 5


def orm_valid_dua(contract, day, service=None):
    """valid_dua as the ORM read it, before its queries were built once per process."""
    for dua in contract.duas.filter(invalidated_at__isnull=True, expiry_date__gte=day).order_by(
            "-expiry_date"):
        covered = set(dua.services.values_list("pk", flat=True))
        if dua.is_valid_on(day) and (service is None or not covered or service.pk in covered):
            return dua
    return None


def test_the_valid_dua_is_the_orms(people):
    """Expired, marked invalid, not in effect yet, covering some services or all: each day
    and service finds the DUA the ORM found, its contract known without a query."""
    mine, day = people["mine"], datetime.date(2026, 12, 1)
    sas, confluence = Service.objects.get(slug="sas-viya"), Service.objects.get(slug="confluence")
    for number, expiry, effective, covers in [
        ("EXPIRED", day - datetime.timedelta(days=1), None, []),
        ("SAS-ONLY", day + datetime.timedelta(days=300), None, [sas]),
        ("LATER", day + datetime.timedelta(days=400), day + datetime.timedelta(days=10), []),
        ("ALL", day + datetime.timedelta(days=30), None, []),
    ]:
        dua = give_dua(mine, expiry=expiry, number=number)
        DataUseAgreement.objects.filter(pk=dua.pk).update(effective_date=effective)
        dua.services.set(covers)
    give_dua(mine, expiry=day + datetime.timedelta(days=900), invalidated=True, number="BAD")
    for when in [day, day + datetime.timedelta(days=10), day + datetime.timedelta(days=31),
                 day + datetime.timedelta(days=301), day + datetime.timedelta(days=500)]:
        for service in [None, sas, confluence]:
            found = valid_dua(mine, when, service)
            assert found == orm_valid_dua(mine, when, service), (when, service)
            if found is not None:
                assert found.contract is mine
    assert valid_dua(people["other"], day) is None
