"""A contract's whole life, through the services the pages call: solicitation to award,
intake, review, the lead's approval, the eligibility meeting, one service approved and one
denied with its reason, the welcome package, access granted, confirmed and revoked, a DUA,
and a closeout with no new award ending in the removal of access."""

import datetime

import pytest
from django.core.files.base import ContentFile

from muster.access import grants
from muster.accounts.models import ContractRole
from muster.catalog.models import Service
from muster.closeout import choice, ending, removal
from muster.closeout.models import Scenario
from muster.closeout.queries import current_closeout
from muster.contracts import services as contracts
from muster.contracts.models import ContractService, DataUseAgreement, Organization
from muster.onboarding import package as welcome
from muster.onboarding import services as onboarding
from muster.onboarding.models import EligibilityMeeting

from ..factories import pdf_bytes, request_service

POP_START = datetime.date(2026, 12, 1)
POP_END = datetime.date(2027, 11, 30)
DENIAL = "Confluence is not offered to contractors of this program."


def _service(slug: str) -> Service:
    return Service.objects.get(slug=slug)


@pytest.fixture
def life(people, freeze_today):
    """`people["mine"]` lived through to its closeout; returns `people` with "mine" fresh,
    and "grants" (SAS Viya active then revoked at the end, Confluence never: denied)."""
    cor, team, so = people["cor"], people["onboarding_team"], people["so"]
    mine = people["mine"]
    freeze_today(datetime.date(2026, 10, 1))
    mine = onboarding.notify_award(cor, mine, award_date=datetime.date(2026, 10, 1))
    org = Organization.objects.create(name="Tidewater Health IT", harp_name="TIDEWATER HEALTH IT")
    mine = contracts.update_contract(cor, mine, organization=org,
                                     type_of_work="Abstraction of clinical records.")
    ContractRole.objects.filter(contract=mine).update(eua_check=ContractRole.EuaCheck.COMPLETE)
    request_service(mine, "confluence")
    mine.services.update(estimated_users=4, justification="The analysts' work needs it.")
    dua = DataUseAgreement(contract=mine, number="DUA-2026-7", uploaded_by=cor,
                           effective_date=datetime.date(2026, 9, 1),
                           expiry_date=datetime.date(2028, 6, 30))
    dua.document.save("DUA-2026-7.pdf", ContentFile(pdf_bytes()), save=False)
    dua.save()
    dua.services.set([_service("sas-viya")])

    freeze_today(datetime.date(2026, 10, 5))
    request = onboarding.submit(cor, mine.onboarding_request)
    freeze_today(datetime.date(2026, 10, 6))
    onboarding.mark_reviewed(team, request)
    onboarding.approve_as_lead(people["team_lead"], request)
    freeze_today(datetime.date(2026, 10, 8))
    onboarding.record_meeting(team, request, onboarding.MeetingRecord(
        held_on=datetime.date(2026, 10, 8), attendees="The team\nThe COR\nThe SO",
        outcome=EligibilityMeeting.Outcome.ELIGIBLE, notes="Eligible for both services."))
    freeze_today(datetime.date(2026, 10, 12))
    sas = mine.services.get(service__slug="sas-viya")
    onboarding.decide_service(people["sas_lead"], sas, approve=True)
    confluence = mine.services.get(service__slug="confluence")
    onboarding.decide_service(people["confluence_lead"], confluence, approve=False,
                              reason=DENIAL)
    freeze_today(datetime.date(2026, 10, 13))
    welcome.send_welcome_package(team, mine)

    freeze_today(datetime.date(2026, 12, 2))
    user = people["contractor_user"]
    first = grants.grant(so, mine, user, _service("sas-viya"))
    grants.confirm(team, first)
    freeze_today(datetime.date(2027, 3, 2))
    grants.revoke(so, first)
    second = grants.grant(so, mine, user, _service("sas-viya"))
    grants.confirm(people["sas_lead"], second)

    freeze_today(POP_END - datetime.timedelta(days=60))
    choice.open_closeout(None, mine.pk)
    freeze_today(POP_END - datetime.timedelta(days=50))
    mine = type(mine).objects.get(pk=mine.pk)
    choice.choose_scenario(cor, mine, Scenario.NO_AWARD, {
        "pop_end_confirmed": POP_END, "data_to_archive": "The abstraction workpapers."})
    freeze_today(POP_END)
    ending.end_contract(None, mine.pk, POP_END)
    record = current_closeout(type(mine).objects.get(pk=mine.pk))
    removal.confirm_removal(team, record)
    freeze_today(POP_END + datetime.timedelta(days=3))
    people["mine"] = type(mine).objects.get(pk=mine.pk)
    people["grants"] = [first, second]
    people["dua"] = dua
    assert mine.services.filter(status=ContractService.Status.DENIED).count() == 1
    return people
