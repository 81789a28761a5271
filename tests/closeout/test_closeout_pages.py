"""The closeout pages: who sees and does what, and every refusal a person can meet (wrong
role, wrong time, missing or invalid answers), each a clear message, never a crash."""

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from muster.accounts.models import ContractRole, TeamRole
from muster.closeout import sweep
from muster.closeout.choice import open_closeout
from muster.closeout.models import Closeout, Scenario, SweepRun
from muster.contracts.models import Contract, ContractService, Stage
from tests.pages import text_of

from ..factories import activate, make_contract, request_service

POP_END = datetime.date(2027, 11, 30)
NOTICE_DAY = datetime.date(2027, 10, 1)
DAY = datetime.timedelta(days=1)


def title_of(response) -> str:
    return re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1)


def url(name, contract, *args):
    return reverse(f"closeout:{name}", args=[contract.pk, *args])


@pytest.fixture
def closing(people, freeze_today):
    """`mine` live with SAS Viya approved, its closeout notice sent today (60 days before
    its end on POP_END)."""
    freeze_today(NOTICE_DAY)
    mine = people["mine"]
    mine.services.update(status=ContractService.Status.APPROVED)
    activate(mine)
    assert open_closeout(None, mine.pk)
    return Contract.objects.get(pk=mine.pk)


REAWARD = {
    "new_contract_number": "75FCMC27C0777", "new_pop_start": "2027-12-01",
    "new_pop_end": "2028-11-30", "dua_still_valid": "yes", "so_spoc_unchanged": "yes",
    "data_to_archive": "None", "same_data_needed": "no",
    "confirm": "yes",  # past the "This will create" page (tested in test_reaward.py)
}


# --- who may -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["poc", "so", "spoc", "onboarding_team", "team_lead",
                                  "administrator", "sas_lead"])
def test_only_the_cor_chooses_the_scenario_others_get_403(client, people, closing, role):
    client.force_login(people[role])

    assert client.get(url("scenario", closing, 3)).status_code == 403
    response = client.post(url("scenario", closing, 3), {
        "pop_end_confirmed": POP_END.isoformat(), "data_to_archive": "All of it.",
        "all_data_archived": "on"})

    assert response.status_code == 403
    assert Closeout.objects.get(contract=closing).scenario is None
    page = client.get(url("closeout", closing))
    assert page.status_code == 200
    assert "Choose scenario" not in text_of(page)


@pytest.mark.parametrize("role", ["outsider", "other_cor", "confluence_lead"])
def test_people_without_a_role_on_the_contract_get_404(client, people, closing, role):
    client.force_login(people[role])

    assert client.get(url("closeout", closing)).status_code == 404
    assert client.get(url("scenario", closing, 1)).status_code == 404
    assert client.post(url("scenario", closing, 1), REAWARD).status_code == 404
    assert client.post(url("confirm_removal", closing)).status_code == 404
    assert Closeout.objects.get(contract=closing).scenario is None


def test_signed_out_people_are_sent_to_sign_in(client, closing):
    response = client.get(url("closeout", closing))
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


@pytest.mark.parametrize("number", [0, 5, 99])
def test_an_unknown_scenario_number_is_404(client, people, closing, number):
    client.force_login(people["cor"])
    assert client.get(url("scenario", closing, number)).status_code == 404


@pytest.mark.parametrize("name", ["confirm_removal", "archive", "new_contract"])
def test_the_teams_actions_are_refused_to_the_cor(client, people, closing, name):
    client.force_login(people["cor"])
    assert client.post(url(name, closing), {"note": "x"}).status_code == 403
    assert client.get(url(name, closing)).status_code == 405  # POST only


# --- the page ----------------------------------------------------------------------------


def test_the_cor_sees_the_state_and_the_four_scenarios(client, people, closing):
    client.force_login(people["cor"])

    response = client.get(url("closeout", closing))

    text = text_of(response)
    assert title_of(response).startswith("Closeout of Mine")
    assert response.content.decode().count("<h1") == 1
    assert "ends on Tuesday, November 30, 2027 : in 60 days" in text
    assert "Removed on Tuesday, November 30, 2027, unless the COR chooses a re-award" in text
    assert "Closeout notice sent Friday, October 1, 2027" in text
    assert "Not chosen yet: waiting for the COR." in text
    for n in (1, 2, 3, 4):
        assert url("scenario", closing, n) in response.content.decode()
    assert "If not, a new DUA is required, and access to those services pauses until the " \
        "PDF of the new DUA is given" in text
    assert "Notification of contract closeout" in text and "Contract removed from services" \
        in text


def test_before_the_notice_the_page_says_when_it_comes_and_choosing_is_refused(
    client, people, freeze_today
):
    freeze_today(NOTICE_DAY - 10 * DAY)
    mine = activate(people["mine"])
    client.force_login(people["cor"])

    page = text_of(client.get(url("closeout", mine)))
    assert "The closeout notice goes to the COR and the onboarding team 60 days before: on " \
        "Friday, October 1, 2027." in page
    assert "Choose scenario" not in page
    response = client.post(url("scenario", mine, 2), {
        "pop_end_confirmed": POP_END.isoformat(), "data_to_archive": "x",
        "new_contractor_needs_data": "no"}, follow=True)
    assert "The closeout opens 60 days before the end" in text_of(response)
    assert not Closeout.objects.exists()


def test_a_contract_without_dua_services_is_not_asked_about_the_dua(client, people,
                                                                     closing):
    closing.services.all().delete()
    request_service(closing, "confluence", status=ContractService.Status.APPROVED)
    client.force_login(people["cor"])

    for number in (1, 4):
        form = client.get(url("scenario", closing, number)).content.decode()
        assert "dua_document" not in form and "Data Use Agreement" not in form
    response = client.post(url("scenario", closing, 4), {"new_pop_end": "2028-02-29"})
    assert response.status_code == 302
    assert Contract.objects.get(pk=closing.pk).pop_end == datetime.date(2028, 2, 29)


# --- invalid answers: 400, the error summary, what was typed kept ------------------------


def test_an_empty_reaward_form_lists_every_missing_answer(client, people, closing):
    client.force_login(people["cor"])

    response = client.post(url("scenario", closing, 1), {"new_name": "Kept name"})

    assert response.status_code == 400
    assert title_of(response).startswith("Error: ")
    text = text_of(response)
    assert "There are 7 problems" in text
    for message in ("Give the new contract number.",
                    "Give the date the new period of performance starts.",
                    "Give the date the new period of performance ends.",
                    "Say whether the DUA is still valid for the new contract.",
                    "Say whether the SO and SPOC remain the same.",
                    "Say which data needs to be archived, or write “None”.",
                    "Say whether the contractor needs the same data again."):
        assert message in text
    assert 'value="Kept name"' in response.content.decode()
    assert 'aria-describedby="id_new_contract_number_error' in response.content.decode() or \
        'id="id_new_contract_number_error"' in response.content.decode()
    assert Closeout.objects.get(contract=closing).scenario is None
    assert not Contract.objects.filter(contract_number="75FCMC27C0777").exists()


@pytest.mark.parametrize("changes, message", [
    ({"new_pop_start": "2027-11-20"}, "The new period of performance starts the day after the "
     "current one ends (December 1, 2027), or on its last day (November 30, 2027) at the "
     "earliest."),
    ({"new_pop_end": "2027-12-01"}, "The new period of performance must end after it starts."),
    ({"new_contract_number": "75fcmc26c0002"}, "A contract with this number is already in "
     "Muster"),
    ({"so_spoc_unchanged": "no"}, "Give the new SO's HARP ID: the SO and SPOC change."),
    ({"so_spoc_unchanged": "no", "new_so_name": "N", "new_so_email": "n@example.com",
      "new_so_harp_id": "-bad id", "new_spoc_name": "S", "new_spoc_email": "s@example.com",
      "new_spoc_harp_id": "spoc01"}, "Enter a HARP ID: 3 to 64 letters"),
    ({"dua_still_valid": "no", "dua_number": "DUA-9"},
     "Choose the new signed DUA (a PDF): a DUA given here needs all of them."),
    ({"dua_still_valid": "no", "dua_number": "DUA-9", "dua_expiry_date": "2028-12-31",
      "dua_document": SimpleUploadedFile("dua.pdf", b"just text", "application/pdf")},
     "This file is not a PDF"),
])
def test_invalid_reaward_answers_are_refused_with_a_message(client, people, closing, changes,
                                                            message):
    make_contract(name="Taken", contract_number="75FCMC26C0002")
    client.force_login(people["cor"])

    response = client.post(url("scenario", closing, 1), {**REAWARD, **changes})

    assert response.status_code == 400
    assert message in text_of(response)
    assert 'value="75FCMC27C0777"' in response.content.decode() or \
        "new_contract_number" in changes
    assert Closeout.objects.get(contract=closing).scenario is None


def test_a_harp_id_of_someone_else_is_refused(client, people, closing):
    client.force_login(people["cor"])
    response = client.post(url("scenario", closing, 1), {
        **REAWARD, "so_spoc_unchanged": "no", "new_so_name": "N", "new_so_email":
        "n@example.com", "new_so_harp_id": people["poc"].harp_id, "new_spoc_name": "S",
        "new_spoc_email": people["spoc"].email, "new_spoc_harp_id": "different1"})

    assert response.status_code == 400
    text = text_of(response)
    assert "This HARP ID belongs to someone else in Muster." in text
    assert f"{people['spoc'].email} is in Muster with HARP ID {people['spoc'].harp_id}." in text


@pytest.mark.parametrize("number, data, message", [
    (2, {"pop_end_confirmed": "2027-12-15", "data_to_archive": "x",
         "new_contractor_needs_data": "no"}, "a later end is an extension (scenario 4)"),
    (2, {"pop_end_confirmed": "2027-09-30", "data_to_archive": "x",
         "new_contractor_needs_data": "no"}, "The end date cannot be in the past."),
    (2, {"pop_end_confirmed": "", "data_to_archive": "x", "new_contractor_needs_data": "no"},
     "Confirm the date the period of performance ends."),
    (3, {"pop_end_confirmed": "2027-11-30", "data_to_archive": "All of it."},
     "Confirm that all CMS data will be archived."),
    (3, {"pop_end_confirmed": "2027-11-30", "all_data_archived": "on"},
     "Say which CMS data is to be archived"),
    (4, {"new_pop_end": "2027-11-30", "dua_valid_through_new_end": "yes"},
     "An extension ends after the current end date (November 30, 2027)."),
    (4, {"new_pop_end": "2028-03-31"}, "Say whether the DUA is valid through the new end date."),
    (4, {"new_pop_end": "not a date", "dua_valid_through_new_end": "yes"}, "Enter a valid date"),
])
def test_invalid_answers_to_the_other_scenarios_are_refused(client, people, closing, number,
                                                             data, message):
    client.force_login(people["cor"])

    response = client.post(url("scenario", closing, number), data)

    assert response.status_code == 400
    assert message in text_of(response)
    assert title_of(response).startswith("Error: ")
    closing = Contract.objects.get(pk=closing.pk)
    assert (closing.pop_end, closing.stage) == (POP_END, Stage.CLOSING)
    assert Closeout.objects.get(contract=closing).scenario is None


# --- changing one's mind, and too late ---------------------------------------------------


def test_the_cor_can_change_the_scenario_and_sees_the_answers_given(client, people, closing):
    client.force_login(people["cor"])
    client.post(url("scenario", closing, 2), {
        "pop_end_confirmed": "2027-11-30", "data_to_archive": "Claims.",
        "new_contractor_needs_data": "yes"})
    form = client.get(url("scenario", closing, 2)).content.decode()
    assert "Claims." in form
    radios = re.findall(r'<input[^>]*name="new_contractor_needs_data"[^>]*>', form)
    assert [("checked" in tag, 'value="yes"' in tag) for tag in radios] == [
        (True, True), (False, False)]
    assert "Saving this form replaces that choice" in text_of(
        client.get(url("scenario", closing, 2)))

    response = client.post(url("scenario", closing, 3), {
        "pop_end_confirmed": "2027-11-30", "data_to_archive": "Everything.",
        "all_data_archived": "on"})

    assert response.status_code == 302
    closeout = Closeout.objects.get(contract=closing)
    assert closeout.scenario == Scenario.NO_AWARD
    assert closeout.answers["data_to_archive"] == "Everything."


def test_after_a_reaward_record_is_made_the_scenario_cannot_switch(client, people, closing):
    client.force_login(people["cor"])
    assert client.post(url("scenario", closing, 1), REAWARD).status_code == 302

    response = client.post(url("scenario", closing, 2), {
        "pop_end_confirmed": "2027-11-30", "data_to_archive": "x",
        "new_contractor_needs_data": "no"})

    assert response.status_code == 400
    assert "the scenario cannot change now" in text_of(response)
    assert Closeout.objects.get(contract=closing).scenario == Scenario.REAWARD_INCUMBENT
    # Correcting the re-award's own answers is fine, and updates the same new record.
    response = client.post(url("scenario", closing, 1), {**REAWARD, "new_name": "Renamed"})
    assert response.status_code == 302
    assert Contract.objects.get(contract_number="75FCMC27C0777").name == "Renamed"
    assert Contract.objects.count() == 3  # mine, other, and the one new record


def test_choosing_after_access_was_removed_is_refused(client, people, closing, freeze_today):
    # A COR who stays in Muster after this contract (one with no role left is deactivated
    # the day it closes: muster/identity/lifecycle.py).
    TeamRole.objects.create(user=people["cor"], role=TeamRole.Role.COR)
    client.force_login(people["cor"])
    client.post(url("scenario", closing, 3), {
        "pop_end_confirmed": "2027-11-30", "data_to_archive": "All.", "all_data_archived": "on"})
    freeze_today(POP_END)
    sweep.run(POP_END)
    assert Contract.objects.get(pk=closing.pk).stage == Stage.CLOSED

    page = text_of(client.get(url("closeout", closing)))
    assert "Choose scenario" not in page
    response = client.post(url("scenario", closing, 4), {
        "new_pop_end": "2028-06-30", "dua_valid_through_new_end": "yes"}, follow=True)

    assert "Access was already removed at the end of performance" in text_of(response)
    closed = Contract.objects.get(pk=closing.pk)
    assert (closed.pop_end, closed.stage) == (POP_END, Stage.CLOSED)
    assert Closeout.objects.get(contract=closing).scenario == Scenario.NO_AWARD


# --- the team's forms --------------------------------------------------------------------


def test_the_new_contract_form_refuses_a_taken_number_and_keeps_what_was_typed(
    client, people, closing
):
    client.force_login(people["cor"])
    client.post(url("scenario", closing, 2), {
        "pop_end_confirmed": "2027-11-30", "data_to_archive": "x",
        "new_contractor_needs_data": "no"})
    client.force_login(people["onboarding_team"])

    response = client.post(url("new_contract", closing), {
        "name": "Typed name", "contract_number": people["other"].contract_number,
        "award_date": ""})

    assert response.status_code == 400
    assert title_of(response).startswith("Error: ")
    text = text_of(response)
    assert "A contract with this number is already in Muster." in text
    assert "Give the award date." in text
    assert 'value="Typed name"' in response.content.decode()
    assert Closeout.objects.get(contract=closing).successor is None


def test_starting_a_new_contract_needs_the_other_contractor_scenario(client, people,
                                                                     closing):
    client.force_login(people["onboarding_team"])
    response = client.post(url("new_contract", closing), {
        "name": "N", "contract_number": "75FCMC27C0888", "award_date": "2027-10-01"},
        follow=True)
    assert "starts from the scenario “Awarded to another contractor”" in text_of(response)
    assert not Contract.objects.filter(contract_number="75FCMC27C0888").exists()


def test_confirming_removal_twice_is_refused(client, people, closing, freeze_today):
    client.force_login(people["cor"])
    client.post(url("scenario", closing, 3), {
        "pop_end_confirmed": "2027-11-30", "data_to_archive": "All.", "all_data_archived": "on"})
    freeze_today(POP_END)
    sweep.run(POP_END)
    client.force_login(people["onboarding_team"])

    assert client.post(url("confirm_removal", closing), {"note": ""}).status_code == 302
    response = client.post(url("confirm_removal", closing), {"note": ""}, follow=True)

    assert "The removal of access was already confirmed." in text_of(response)


# --- the sweep's runs --------------------------------------------------------------------


@pytest.mark.parametrize("role", ["onboarding_team", "team_lead", "administrator"])
def test_the_team_sees_the_last_30_sweep_runs_with_their_reports(client, people,
                                                                freeze_today, role):
    freeze_today(datetime.date(2026, 11, 24))
    for n in range(32):
        SweepRun.objects.create(day=datetime.date(2026, 10, 1) + n * DAY,
                                finished_at=datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC),
                                report={"closeout_notices": n, "grants_revoked": 100 + n})
    client.force_login(people[role])

    response = client.get(reverse("closeout:sweeps"))

    assert response.status_code == 200
    text = text_of(response)
    assert text.count("Did not finish") == 0
    assert "Sun, Nov 1, 2026" in text  # the newest (day 31)
    assert "131" in text
    assert "Thu, Oct 1, 2026" not in text and "Fri, Oct 2, 2026" not in text  # 31st and 32nd


def test_a_sweep_run_shows_what_it_did_for_access_governance(client, people, freeze_today):
    freeze_today(datetime.date(2026, 11, 24))
    SweepRun.objects.create(
        day=datetime.date(2026, 11, 24),
        finished_at=datetime.datetime(2026, 11, 24, 11, tzinfo=datetime.UTC),
        report={"dua_warnings": 41, "recertification_reminders": 42,
                "recertification_pauses": 43, "reconciliation_new_findings": 44})
    client.force_login(people["onboarding_team"])

    page = client.get(reverse("closeout:sweeps"))

    cells = re.findall(r'<td data-label="([^"]+)">(\d+)</td>', page.content.decode())
    assert ("DUA warnings", "41") in cells
    assert ("Recertification reminders", "42") in cells
    assert ("Paused, not recertified", "43") in cells
    assert ("New reconciliation findings", "44") in cells


@pytest.mark.parametrize("role", ["cor", "so", "sas_lead", "outsider"])
def test_the_sweep_runs_are_not_for_contract_parties(client, people, role):
    client.force_login(people[role])
    assert client.get(reverse("closeout:sweeps")).status_code == 403


def test_a_contract_following_another_links_back(client, people, closing):
    client.force_login(people["cor"])
    client.post(url("scenario", closing, 1), REAWARD)
    new = Contract.objects.get(contract_number="75FCMC27C0777")

    page = client.get(url("closeout", new))

    assert "This contract follows" in text_of(page)
    assert url("closeout", closing) in page.content.decode()
    mine_page = client.get(url("closeout", closing)).content.decode()
    assert new.get_absolute_url() in mine_page
    assert new.roles.filter(role=ContractRole.Role.COR, user=people["cor"]).exists()
