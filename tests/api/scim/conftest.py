"""A world with access in every state, and a provisioning client that reads it."""

import datetime

import pytest
from django.test import Client

from muster import clock
from muster.access.models import AccessGrant, GrantStatus
from muster.accounts.models import ContractRole, TeamRole
from muster.api import tokens
from tests.access import approve
from tests.factories import UserFactory, give_role, make_contract, team_member

SCIM = "/scim/v2"
CONTENT_TYPE = "application/scim+json"


def client_token(issuer, days=30, name="Okta") -> str:
    """A provisioning client's token (scope scim, no person), as the team issues it."""
    _, raw = tokens.issue(created_by=issuer, name=name, scope="scim",
                          expires_at=clock.now() + datetime.timedelta(days=days))
    return raw


def scim_client(raw: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def grant(contract, person, service, status, so):
    return AccessGrant.objects.create(
        contract=contract, user=person, service=service, status=status,
        eua_job_code=service.eua_job_code, requested_by=so,
        activated_at=clock.now() if status == GrantStatus.ACTIVE else None)


def build_world() -> dict:
    """Two contracts. Alpha has Confluence and SAS Viya approved, Beta Confluence.
    Ann: Confluence on Alpha (active). Ben: SAS Viya on Alpha and Confluence on Beta
    (active), and Confluence on Alpha (requested). Cy: Confluence on Alpha, requested.
    Di: SAS Viya on Alpha, paused. Only Ann and Ben are in /Users."""
    team = team_member(TeamRole.Role.ONBOARDING_TEAM)
    # "D" numbers: make_contract numbers its own "C0001", "C0002"... in each process.
    alpha = make_contract(name="Alpha", contract_number="75FCMC26D0001")
    beta = make_contract(name="Beta", contract_number="75FCMC26D0002")
    confluence, sas = approve(alpha, "confluence"), approve(alpha, "sas-viya")
    approve(beta, "confluence")
    so = UserFactory(full_name="Sol Security")
    give_role(so, alpha, ContractRole.Role.SO)
    ann = UserFactory(full_name="Ann Avery", email="ann.avery@example.com", harp_id="ANN.AVERY",
                      eua_id="AB12")
    ben = UserFactory(full_name="Ben Bell", email="ben@example.com", harp_id="")
    cy = UserFactory(full_name="Cy Cole")
    di = UserFactory(full_name="Di Dunn")
    for person in (ann, ben, cy, di):
        give_role(person, alpha, ContractRole.Role.CONTRACTOR_USER)
    give_role(ben, beta, ContractRole.Role.CONTRACTOR_USER)
    active, requested = GrantStatus.ACTIVE, GrantStatus.REQUESTED
    grants = {
        "ann_wiki": grant(alpha, ann, confluence, active, so),
        "ben_sas": grant(alpha, ben, sas, active, so),
        "ben_beta_wiki": grant(beta, ben, confluence, active, so),
        "ben_wiki": grant(alpha, ben, confluence, requested, so),
        "cy_wiki": grant(alpha, cy, confluence, requested, so),
        "di_sas": grant(alpha, di, sas, GrantStatus.PAUSED, so),
    }
    return {"team": team, "so": so, "alpha": alpha, "beta": beta, "confluence": confluence,
            "sas": sas, "ann": ann, "ben": ben, "cy": cy, "di": di, "grants": grants}


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def scim(world) -> Client:
    return scim_client(client_token(world["team"]))
