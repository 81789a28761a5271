"""Fixtures of the closeout tests: a live contract's scene and the daily sweep on a day."""

import datetime

import pytest
from django.core.files.base import ContentFile

from muster.access.models import GrantStatus
from muster.accounts.models import ContractRole
from muster.closeout import sweep
from muster.contracts import services as contracts
from muster.contracts.models import Contract, ContractService, DataUseAgreement

from ..factories import UserFactory, give_role, pdf_upload, request_service
from .scenes import DAY, WEEKDAY_END, grant, service


@pytest.fixture
def scene(people, freeze_today):
    """Build `mine` as a live contract ending on `pop_end`: SAS Viya (needs a DUA) and
    Confluence approved, a valid DUA, its onboarding done, and two users with access.

    Call it as `scene(pop_end)`."""

    def build(pop_end=WEEKDAY_END):
        freeze_today(pop_end - 90 * DAY)
        mine = contracts.update_contract(None, people["mine"], pop_end=pop_end)
        mine.services.update(status=ContractService.Status.APPROVED)
        request_service(mine, "confluence", status=ContractService.Status.APPROVED)
        for name in (Contract.award, Contract.start_onboarding, Contract.activate):
            mine = contracts.change_stage(None, mine, name)
        mine.steps.filter(process="onboarding").update(
            completed_at=datetime.datetime(2026, 12, 20, 12, tzinfo=datetime.UTC))
        dua = DataUseAgreement(contract=mine, number="DUA-1", expiry_date=pop_end + 400 * DAY,
                               effective_date=datetime.date(2026, 12, 1))
        dua.document.save("DUA-1.pdf", ContentFile(pdf_upload().read()), save=False)
        dua.save()
        dua.services.set([service("sas-viya")])
        ana = UserFactory(full_name="Ana Analyst")
        give_role(ana, mine, ContractRole.Role.CONTRACTOR_USER)
        so = people["so"]
        grants = {
            "ana_sas": grant(mine, ana, "sas-viya", by=so),
            "ana_confluence": grant(mine, ana, "confluence", by=so),
            "cody_confluence": grant(mine, people["contractor_user"], "confluence",
                                     GrantStatus.REQUESTED, by=so),
        }
        return {"mine": mine, "grants": grants, "ana": ana, "pop_end": pop_end, "dua": dua}

    return build


@pytest.fixture
def sweep_on(freeze_today):
    def run(day):
        freeze_today(day)
        return sweep.run(day)

    return run
