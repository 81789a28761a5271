"""A world with one finding of each kind and, beside each, a near miss that must not be
found. Today is Tuesday, November 24, 2026 (tests/factories.TODAY)."""

import datetime
from dataclasses import dataclass, field

import pytest
from django.utils import timezone

from muster.access.models import AccessGrant, GrantStatus, PauseReason
from muster.accounts.models import ContractRole, TeamRole
from muster.catalog.models import Service
from muster.contracts.models import Contract, ContractService, DataUseAgreement, Stage
from tests.factories import (
    TODAY,
    OrganizationFactory,
    UserFactory,
    activate,
    give_role,
    make_contract,
    team_member,
)

APPROVED, DENIED = ContractService.Status.APPROVED, ContractService.Status.DENIED
EUA = ContractRole.EuaCheck


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour),
                                     tzinfo=timezone.get_current_timezone())


@dataclass
class Scene:
    team: object
    so: object
    contracts: dict = field(default_factory=dict)
    people: dict = field(default_factory=dict)
    grants: dict = field(default_factory=dict)

    def contract(self, key, organization, services, *, stage=Stage.ACTIVE, pop_end=None):
        contract = activate(make_contract(
            name=key, pop_start=datetime.date(2026, 1, 5),
            pop_end=pop_end or datetime.date(2027, 6, 30)))
        Contract.objects.filter(pk=contract.pk).update(organization=organization)
        for slug, status in services.items():
            ContractService.objects.create(contract=contract, status=status,
                                           service=Service.objects.get(slug=slug))
        if stage != Stage.ACTIVE:
            Contract.objects.filter(pk=contract.pk).update(stage=stage)
        give_role(self.so, contract, ContractRole.Role.SO)
        self.contracts[key] = Contract.objects.get(pk=contract.pk)
        return self.contracts[key]

    def member(self, name, contract, eua=EUA.COMPLETE):
        person = self.people.get(name) or UserFactory(full_name=name)
        self.people[name] = person
        ContractRole.objects.create(user=person, contract=contract,
                                    role=ContractRole.Role.CONTRACTOR_USER, eua_check=eua)
        return person

    def grant(self, key, contract, name, slug, status=GrantStatus.ACTIVE,
              requested_on=datetime.date(2026, 9, 1), **extra):
        grant = AccessGrant.objects.create(
            contract=contract, user=self.people[name], status=status,
            service=Service.objects.get(slug=slug), requested_by=self.so,
            requested_at=at(requested_on), eua_job_code=Service.objects.get(
                slug=slug).eua_job_code, **extra)
        self.grants[key] = grant
        return grant


def build(freeze) -> Scene:
    freeze(TODAY)
    s = Scene(team=team_member(TeamRole.Role.ONBOARDING_TEAM, full_name="Tess Team",
                               email="tess@example.com"),
              so=UserFactory(full_name="Sol Security"))
    alder, birch = (OrganizationFactory(name="Alder Data LLC"),
                    OrganizationFactory(name="Birch Analytics Inc"))
    main = s.contract("Alder Analytics", alder, {
        "confluence": APPROVED, "sas-viya": APPROVED, "jira-service-management": APPROVED,
        "slack": DENIED})
    # The DUA expired on November 1: SAS Viya is not covered.
    DataUseAgreement.objects.create(contract=main, number="DUA-OLD",
                                    expiry_date=datetime.date(2026, 11, 1),
                                    document="contracts/dua/old.pdf")

    # 1. Access to a service not approved (Slack was denied) / near miss: revoked.
    s.member("Una Unapproved", main)
    s.grant("unapproved", main, "Una Unapproved", "slack")
    s.member("Rex Revoked", main)
    s.grant("unapproved_revoked", main, "Rex Revoked", "slack", GrantStatus.REVOKED,
            revoked_at=at(datetime.date(2026, 10, 1)))

    # 2. After the end: a closed contract and one whose performance ended last week /
    # near misses: a revoked grant on the closed contract; performance ending today.
    closed = s.contract("Cedar Closed", alder, {"slack": APPROVED}, stage=Stage.CLOSED,
                        pop_end=datetime.date(2026, 10, 30))
    s.member("Cleo Closed", closed)
    s.grant("closed", closed, "Cleo Closed", "slack")
    s.member("Vic Revoked", closed)
    s.grant("closed_revoked", closed, "Vic Revoked", "slack", GrantStatus.REVOKED,
            revoked_at=at(datetime.date(2026, 10, 30)))
    ended = s.contract("Dogwood Ended", alder, {"slack": APPROVED},
                       pop_end=datetime.date(2026, 11, 20))
    s.member("Eddie Ended", ended)
    s.grant("ended", ended, "Eddie Ended", "slack", GrantStatus.PAUSED,
            pause_reason=PauseReason.OTHER)
    today_end = s.contract("Elm Ends Today", alder, {"slack": APPROVED}, pop_end=TODAY)
    s.member("Tia Today", today_end)
    s.grant("ends_today", today_end, "Tia Today", "slack")

    # 3. SAS Viya active without a valid DUA / near miss: paused by the lapse; and a
    # contract whose DUA is valid.
    s.member("Dara Dua", main)
    s.grant("dua", main, "Dara Dua", "sas-viya")
    s.member("Paula Paused", main)
    s.grant("dua_paused", main, "Paula Paused", "sas-viya", GrantStatus.PAUSED,
            pause_reason=PauseReason.DUA_LAPSED)
    covered = s.contract("Fir Covered", alder, {"sas-viya": APPROVED})
    DataUseAgreement.objects.create(contract=covered, number="DUA-FIR",
                                    expiry_date=datetime.date(2027, 6, 30),
                                    document="contracts/dua/fir.pdf")
    s.member("Val Valid", covered)
    s.grant("dua_valid", covered, "Val Valid", "sas-viya")

    # 4. Confluence (EUA job code CONFL_User) with the EUA check in progress / near misses:
    # check complete; paused; Jira (no EUA job code) with the check not started.
    s.member("Ian InProgress", main, eua=EUA.IN_PROGRESS)
    s.grant("eua", main, "Ian InProgress", "confluence")
    s.member("Cam Complete", main)
    s.grant("eua_complete", main, "Cam Complete", "confluence")
    s.member("Pia Paused", main, eua=EUA.NOT_STARTED)
    s.grant("eua_paused", main, "Pia Paused", "confluence", GrantStatus.PAUSED,
            pause_reason=PauseReason.OTHER)
    s.member("Jo NoEua", main, eua=EUA.NOT_STARTED)
    s.grant("eua_jira", main, "Jo NoEua", "jira-service-management")

    # 5. On the rosters of two contractors / near misses: twice on one contractor's
    # rosters; a second contractor's roster on a closed contract.
    other = s.contract("Birch Work", birch, {"slack": APPROVED})
    s.member("Tomas Two", main)
    s.member("Tomas Two", other)
    s.member("Sam Same", main)
    s.member("Sam Same", covered)
    closed_birch = s.contract("Birch Closed", birch, {}, stage=Stage.CLOSED,
                              pop_end=datetime.date(2026, 6, 30))
    s.member("Olly Old", main)
    s.member("Olly Old", closed_birch)

    # 6. Requested 6 business days ago, never confirmed / near misses: 5 and 4 days ago.
    s.member("Una Waiting", main)
    s.grant("unconfirmed", main, "Una Waiting", "jira-service-management",
            GrantStatus.REQUESTED, requested_on=datetime.date(2026, 11, 16))
    s.member("Fay Five", main)
    s.grant("five_days", main, "Fay Five", "jira-service-management",
            GrantStatus.REQUESTED, requested_on=datetime.date(2026, 11, 17))
    s.member("Fran Four", main)
    s.grant("four_days", main, "Fran Four", "jira-service-management",
            GrantStatus.REQUESTED, requested_on=datetime.date(2026, 11, 18))
    return s


@pytest.fixture
def scene(db, freeze_today) -> Scene:
    return build(freeze_today)
