"""A running contract (`mine`) whose SO has three users with grants, another contract
(`other`) with its own SO and a user, and a sweep runner with a frozen clock."""

import datetime

import pytest

from muster import clock
from muster.access.models import AccessGrant, GrantStatus
from muster.accounts.models import ContractRole
from muster.closeout import sweep
from tests.access import approve
from tests.factories import TODAY, UserFactory, activate, give_role

DUE = datetime.date(2026, 12, 8)  # a Tuesday, two weeks after TODAY


def grant(contract, user, service, so, status=GrantStatus.ACTIVE, **fields):
    if status == GrantStatus.ACTIVE:
        fields.setdefault("activated_at", clock.now())
    return AccessGrant.objects.create(
        contract=contract, user=user, service=service, status=status,
        eua_job_code=service.eua_job_code, requested_by=so, **fields)


def member(contract, name):
    user = UserFactory(full_name=name)
    give_role(user, contract, ContractRole.Role.CONTRACTOR_USER)
    return user


@pytest.fixture
def world(people, freeze_today):
    freeze_today(TODAY)
    mine, other = activate(people["mine"]), activate(people["other"])
    people["mine"], people["other"] = mine, other
    so = people["so"]
    confluence, slack = approve(mine, "confluence"), approve(mine, "slack")
    people["confluence"], people["slack"] = confluence, slack
    ada = people["contractor_user"]
    ben = member(mine, "Ben Baker")
    cyd = member(mine, "Cyd Clark")
    people["ben"], people["cyd"] = ben, cyd
    people["g"] = {
        "ada_confluence": grant(mine, ada, confluence, so),
        "ada_slack": grant(mine, ada, slack, so),
        "ben_confluence": grant(mine, ben, confluence, so, status=GrantStatus.REQUESTED),
        "cyd_confluence": grant(mine, cyd, confluence, so),
    }
    # A revoked grant is not in any campaign.
    grant(mine, cyd, slack, so, status=GrantStatus.REVOKED)
    other_so = UserFactory(full_name="Otis Other SO")
    give_role(other_so, other, ContractRole.Role.SO)
    people["other_so"] = other_so
    approve(other, "confluence")
    dan = member(other, "Dan Distant")
    people["dan"] = dan
    people["g"]["dan_confluence"] = grant(other, dan, confluence, other_so)
    return people


@pytest.fixture
def sweep_on(freeze_today):
    def run(day: datetime.date):
        freeze_today(day)
        return sweep.run(day)

    return run
