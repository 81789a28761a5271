"""Scenario 2 (awarded to another contractor) as the onboarding team meets it: starting the
new contractor's contract (dates checked as the award notice checks them, a summary to
confirm, the new contract shown as what it is), the data archive, and the new SO and SPOC
of a re-award being two people. Through the pages, with Muster's clock frozen."""

import datetime

import pytest
from django.urls import reverse

from muster.audit.models import AuditEvent
from muster.closeout.choice import open_closeout
from muster.closeout.models import Closeout
from muster.contracts import services as contracts
from muster.contracts.models import Contract, ContractService, Stage
from muster.timeline.models import StepState
from tests.pages import text_of

POP_END = datetime.date(2027, 11, 30)
NOTICE_DAY = datetime.date(2027, 10, 1)  # today in these tests: the closeout notice's day
DAY = datetime.timedelta(days=1)


def url(name, contract):
    return reverse(f"closeout:{name}", args=[contract.pk])


@pytest.fixture
def closing(people, freeze_today):
    """`mine` live with SAS Viya approved, its closeout notice sent today."""
    freeze_today(NOTICE_DAY)
    mine = people["mine"]
    mine.services.update(status=ContractService.Status.APPROVED)
    for name in (Contract.award, Contract.start_onboarding, Contract.activate):
        mine = contracts.change_stage(None, mine, name)
    assert open_closeout(None, mine.pk)
    return Contract.objects.get(pk=mine.pk)


@pytest.fixture
def other_contractor(client, people, closing):
    """The COR chose scenario 2; the onboarding team is signed in."""
    client.force_login(people["cor"])
    response = client.post(reverse("closeout:scenario", args=[closing.pk, 2]), {
        "pop_end_confirmed": POP_END.isoformat(), "data_to_archive": "Claims extracts",
        "new_contractor_needs_data": "yes"})
    assert response.status_code == 302
    client.force_login(people["onboarding_team"])
    return closing


NEW = {"name": "Mine (new contractor)", "contract_number": "75fcmc27c0500",
       "task_order_number": "", "award_date": NOTICE_DAY.isoformat(),
       "pop_start": (POP_END + DAY).isoformat()}


# --- the dates, as the award notice checks them ------------------------------------------


@pytest.mark.parametrize(("typed", "field", "message"), [
    ({"award_date": (NOTICE_DAY + 30 * DAY).isoformat()}, "award_date",
     "Record the award once it has happened: the date is ahead."),
    ({"award_date": NOTICE_DAY.isoformat(), "pop_start": (NOTICE_DAY - DAY).isoformat()},
     "pop_start", "The period of performance cannot start before the award (October 1, 2027)."),
    # A year before the old contract ends, after a past award: the intake would be overdue.
    ({"award_date": (POP_END - 400 * DAY).isoformat(),
      "pop_start": (POP_END - 365 * DAY).isoformat()},
     "pop_start", "The period of performance cannot start in the past"),
])
def test_the_new_contracts_dates_are_checked_as_the_award_notice_checks_them(
    client, other_contractor, typed, field, message
):
    response = client.post(url("new_contract", other_contractor), {**NEW, **typed})

    assert response.status_code == 400
    text = text_of(response)
    assert message in text
    assert f'id="id_{field}_error' in response.content.decode() or message in text
    assert 'value="Mine (new contractor)"' in response.content.decode()  # typed, kept
    assert not Contract.objects.filter(contract_number="75FCMC27C0500").exists()
    assert Closeout.objects.get(contract=other_contractor).successor is None


def test_the_award_notice_and_the_new_contract_share_one_rule(client, people, freeze_today):
    """The award notice keeps refusing an award date ahead (the rule now lives in one
    function both forms call)."""
    freeze_today(NOTICE_DAY)
    from muster.onboarding.forms.notices import AwardForm

    form = AwardForm({"award_date": (NOTICE_DAY + DAY).isoformat()})
    assert not form.is_valid()
    assert form.errors["award_date"] == [
        "Record the award once it has happened: the date is ahead."]


# --- a summary to confirm before anything is created -------------------------------------


def test_the_form_shows_what_will_be_created_and_creates_nothing_until_confirmed(
    client, people, other_contractor
):
    mine = other_contractor
    audit_before = AuditEvent.objects.count()

    summary = client.post(url("new_contract", mine), NEW)

    assert summary.status_code == 200
    text = text_of(summary)
    assert "Check the new contractor's contract" in text
    for shown in ("Mine (new contractor)", "75FCMC27C0500", "Friday, October 1, 2027",
                  "Starts Wednesday, December 1, 2027", "Cora COR", "SAS Viya",
                  "The new contractor's, given in the intake form"):
        assert shown in text
    assert "Confirm: create the new contract" in text and "Change" in text
    assert not Contract.objects.filter(contract_number="75FCMC27C0500").exists()
    assert AuditEvent.objects.count() == audit_before
    # The address is POST only: a GET creates nothing either.
    assert client.get(url("new_contract", mine)).status_code == 405

    # "Change" goes back to the closeout page's form with the values typed.
    changed = client.post(url("new_contract", mine), {**NEW, "change": "yes"})
    assert changed.status_code == 200
    page = changed.content.decode()
    assert 'value="Mine (new contractor)"' in page and 'value="75fcmc27c0500"' in page
    assert not Contract.objects.filter(contract_number="75FCMC27C0500").exists()

    created = client.post(url("new_contract", mine), {**NEW, "confirm": "yes"})

    new = Contract.objects.get(contract_number="75FCMC27C0500")
    assert created.status_code == 302 and created.url == new.get_absolute_url()
    assert Closeout.objects.get(contract=mine).successor == new


def test_the_summary_warns_when_the_new_pop_overlaps_the_current_one(client, other_contractor):
    start = POP_END - 9 * DAY

    summary = client.post(url("new_contract", other_contractor),
                          {**NEW, "pop_start": start.isoformat()})

    assert summary.status_code == 200
    assert "both contracts run together for 10 days" in text_of(summary)


def test_confirming_after_the_contract_was_started_elsewhere_creates_nothing_more(
    client, other_contractor
):
    client.post(url("new_contract", other_contractor), {**NEW, "confirm": "yes"})

    again = client.post(url("new_contract", other_contractor),
                        {**NEW, "contract_number": "75FCMC27C0501", "confirm": "yes"},
                        follow=True)

    assert "The new contractor's contract was already started" in text_of(again)
    assert not Contract.objects.filter(contract_number="75FCMC27C0501").exists()


# --- the new contract, shown as what it is -----------------------------------------------


def test_the_new_contract_is_awarded_with_its_intake_not_overdue_and_says_so(
    client, other_contractor
):
    client.post(url("new_contract", other_contractor), {**NEW, "confirm": "yes"})
    new = Contract.objects.get(contract_number="75FCMC27C0500")

    assert new.stage == Stage.AWARDED and new.award_date == NOTICE_DAY
    intake = new.steps.get(key="submit-intake")
    assert intake.due_date == POP_END + DAY
    assert intake.state(NOTICE_DAY) != StepState.OVERDUE
    overdue = [s.key for s in new.steps.filter(completed_at__isnull=True)
               if s.state(NOTICE_DAY) == StepState.OVERDUE]
    assert overdue == []
    page = text_of(client.get(new.get_absolute_url()))
    assert "Organization Not given yet: the intake form asks for it" in page
    assert "Not yet awarded" not in page
    listing = text_of(client.get(reverse("contracts:list")))
    assert "Mine (new contractor)" in listing


# --- the data archive waits for the scenario ---------------------------------------------


def test_the_data_archive_is_refused_before_a_scenario_is_chosen(client, people, closing):
    client.force_login(people["onboarding_team"])
    page = text_of(client.get(url("closeout", closing)))
    assert "Record the data archive" not in page  # the page offers no form

    response = client.post(url("archive", closing), {"note": "Archived to S3, bucket x."})

    assert response.status_code == 400
    assert "once the COR has chosen the closeout scenario" in text_of(response)
    closeout = Closeout.objects.get(contract=closing)
    assert closeout.data_archived_at is None and closeout.archive_note == ""
    assert not AuditEvent.objects.filter(action="closeout.data_archived").exists()


def test_the_data_archive_is_recorded_once_a_scenario_is_chosen(client, other_contractor):
    response = client.post(url("archive", other_contractor), {"note": "Archived to S3."})

    assert response.status_code == 302
    assert Closeout.objects.get(contract=other_contractor).archive_note == "Archived to S3."


# --- a re-award's new SO and SPOC are two people -----------------------------------------


REAWARD = {
    "new_contract_number": "75FCMC27C0777", "new_pop_start": "2027-12-01",
    "new_pop_end": "2028-11-30", "dua_still_valid": "yes", "so_spoc_unchanged": "no",
    "new_so_name": "Nina New", "new_so_email": "nina@example.com", "new_so_harp_id": "NINA01",
    "new_spoc_name": "Nina New", "new_spoc_email": "NINA@example.com",
    "new_spoc_harp_id": "nina01", "data_to_archive": "None", "same_data_needed": "no",
}


@pytest.mark.parametrize(("spoc", "message"), [
    ({}, "This is the new SO's email: the SO and the SPOC are two different people."),
    ({"new_spoc_email": "sam@example.com"},
     "This is the new SO's HARP ID: the SO and the SPOC are two different people."),
])
def test_one_person_as_both_new_so_and_new_spoc_is_refused(client, people, closing, spoc,
                                                           message):
    client.force_login(people["cor"])

    response = client.post(reverse("closeout:scenario", args=[closing.pk, 1]),
                           {**REAWARD, **spoc})

    assert response.status_code == 400
    assert message in text_of(response)
    assert 'value="Nina New"' in response.content.decode()
    closeout = Closeout.objects.get(contract=closing)
    assert closeout.scenario is None and closeout.successor is None
