"""Closeout scenario 1, re-awarded to the incumbent, as the COR and the onboarding team meet
it (issue 18): what will be created is confirmed first; changed answers change the new
record; the team can undo a wrong re-award before the end date; the new POP starts the day
after the old end (or a reason is given); the new record waits in its own stage, with no
invented award date and no intake form, until the sweep starts it on its POP start."""

import datetime

from django.core.files.storage import default_storage
from django.urls import reverse

from muster import clock
from muster.access import dua as dua_service
from muster.audit.models import AuditEvent
from muster.closeout.models import Closeout, Scenario
from muster.contracts.models import Contract, Stage
from muster.notifications.delivery import deliver_due
from muster.validators import SHORT_TEXT_MAX
from tests.pages import text_of

from ..factories import pdf_upload
from .scenes import (
    DAY,
    WEEKDAY_END,
    choose,
    notice_arrives,
    page,
    reaward_data,
    refreshed,
    service,
    step,
)

NEW_NUMBER = "75FCMC27C0099"


def preview_data(pop_end, **changes) -> dict:
    """The answers as typed on the form, before the confirmation page."""
    data = reaward_data(pop_end, **changes)
    del data["confirm"]
    return data


def scenario_url(contract) -> str:
    return reverse("closeout:scenario", args=[contract.pk, Scenario.REAWARD_INCUMBENT])


def undo_url(contract) -> str:
    return reverse("closeout:undo_reaward", args=[contract.pk])


def new_record() -> Contract:
    return Contract.objects.get(contract_number=NEW_NUMBER)


def started(s, people, sweep_on, mailoutbox):  # noqa: F811
    notice_arrives(s, people, sweep_on, mailoutbox)
    return s["mine"], s["pop_end"]


# --- confirmation before the new record is made ------------------------------------------


def test_saving_the_reaward_shows_what_will_be_created_and_creates_nothing_until_confirmed(
    client, people, scene, sweep_on, mailoutbox  # noqa: F811
):
    mine, pop_end = started(scene(WEEKDAY_END), people, sweep_on, mailoutbox)

    response = choose(client, people["cor"], mine, 1, preview_data(pop_end))

    assert response.status_code == 200
    text = text_of(response)
    assert "This will create a new contract record" in text
    for shown in ("Mine, the sequel", NEW_NUMBER, "TO-7", "Wednesday, December 1, 2027",
                  "Wednesday, November 29, 2028", people["cor"].full_name,
                  people["so"].full_name, "SAS Viya", "Confluence", "DUA DUA-1",
                  "Award date Not given"):
        assert shown in text, shown
    assert not Contract.objects.filter(contract_number=NEW_NUMBER).exists()
    assert Closeout.objects.get(contract=mine).scenario is None

    # "Change the answers" brings the form back as typed; nothing is saved.
    response = client.post(scenario_url(mine), {**preview_data(pop_end), "change": "yes"})
    assert response.status_code == 200
    assert 'value="Mine, the sequel"' in response.content.decode()
    assert 'value="TO-7"' in response.content.decode()
    assert not Contract.objects.filter(contract_number=NEW_NUMBER).exists()

    response = client.post(scenario_url(mine), {**preview_data(pop_end), "confirm": "yes"})
    assert response.status_code == 302
    assert new_record().name == "Mine, the sequel"


def test_a_dua_pdf_chosen_before_the_confirmation_is_kept_without_choosing_it_again(
    client, people, scene, sweep_on, mailoutbox  # noqa: F811
):
    mine, pop_end = started(scene(WEEKDAY_END), people, sweep_on, mailoutbox)
    answers = preview_data(pop_end, dua_still_valid="no", dua_number="DUA-2028",
                           dua_expiry_date=(pop_end + 300 * DAY).isoformat())

    response = choose(client, people["cor"], mine, 1, {**answers,
                                                       "dua_document": pdf_upload()})
    assert response.status_code == 200
    assert "New DUA DUA-2028" in text_of(response)
    token = response.context["pending_dua"].token

    response = client.post(scenario_url(mine), {**answers, "pending_dua": token,
                                                "confirm": "yes"})

    assert response.status_code == 302
    new = new_record()
    assert dua_service.valid_dua(new, pop_end + DAY, service("sas-viya")).number == "DUA-2028"


# --- changed answers change the new record ------------------------------------------------


def test_changing_the_answers_to_unchanged_so_and_a_valid_dua_changes_the_new_record(
    client, people, scene, sweep_on, mailoutbox  # noqa: F811
):
    mine, pop_end = started(scene(WEEKDAY_END), people, sweep_on, mailoutbox)
    assert choose(client, people["cor"], mine, 1, reaward_data(
        pop_end, dua_still_valid="no", so_spoc_unchanged="no",
        new_so_name="Nina Newso", new_so_email="nina@example.com", new_so_harp_id="nina01",
        new_spoc_name="Sam Spoc", new_spoc_email="sam@example.com", new_spoc_harp_id="sam01",
    )).status_code == 302
    new = new_record()
    assert new.roles.get(role="so").user.email == "nina@example.com"
    assert dua_service.valid_dua(new, pop_end + DAY, service("sas-viya")) is None

    response = choose(client, people["cor"], mine, 1, reaward_data(pop_end))

    assert response.status_code == 302
    assert new.roles.get(role="so").user == people["so"]
    assert new.roles.get(role="spoc").user == people["spoc"]
    assert dua_service.valid_dua(new, pop_end + DAY, service("sas-viya")).number == "DUA-1"
    # And the carry-over then keeps DUA access live.
    sweep_on(pop_end)
    assert new.access_grants.filter(service__slug="sas-viya", status="active").exists()
    assert not new.access_grants.filter(status="paused").exists()


def test_changing_the_answers_to_a_new_dua_leaves_no_copied_dua_valid_beside_it(
    client, people, scene, sweep_on, mailoutbox  # noqa: F811
):
    mine, pop_end = started(scene(WEEKDAY_END), people, sweep_on, mailoutbox)
    assert choose(client, people["cor"], mine, 1, reaward_data(pop_end)).status_code == 302
    new = new_record()
    assert [d.number for d in new.duas.filter(invalidated_at__isnull=True)] == ["DUA-1"]

    response = choose(client, people["cor"], mine, 1, reaward_data(
        pop_end, dua_still_valid="no", dua_number="DUA-2028",
        dua_expiry_date=(pop_end + 300 * DAY).isoformat(), dua_document=pdf_upload()))

    assert response.status_code == 302
    assert [d.number for d in new.duas.filter(invalidated_at__isnull=True)] == ["DUA-2028"]
    copied = new.duas.get(number="DUA-1")
    assert not copied.is_valid_on(pop_end + DAY)
    assert "not valid for the re-award" in copied.invalidated_reason


# --- the team undoes a wrong re-award -------------------------------------------------------


def test_the_team_undoes_a_reaward_and_the_cor_chooses_again(
    client, people, scene, sweep_on, mailoutbox  # noqa: F811
):
    mine, pop_end = started(scene(WEEKDAY_END), people, sweep_on, mailoutbox)
    assert choose(client, people["cor"], mine, 1, reaward_data(pop_end)).status_code == 302
    new = new_record()
    # The COR cannot switch scenario, and is told the team can undo it.
    response = choose(client, people["cor"], mine, 3, {
        "pop_end_confirmed": pop_end.isoformat(), "data_to_archive": "All.",
        "all_data_archived": "on"})
    assert "The onboarding team can undo the re-award" in text_of(response)
    # The COR may not undo it.
    assert client.post(undo_url(mine), {"reason": "x"}).status_code == 403

    team_page = text_of(page(client, people["onboarding_team"], mine))
    assert "Undo the re-award" in team_page
    mailoutbox.clear()
    response = client.post(undo_url(mine), {"reason": "The COR picked the wrong scenario: "
                                                      "the contract is not re-awarded."})

    assert response.status_code == 302
    new = refreshed(new)
    assert new.stage == Stage.WITHDRAWN
    assert new.contract_number != NEW_NUMBER  # freed for a corrected answer
    closeout = Closeout.objects.get(contract=mine)
    assert (closeout.scenario, closeout.successor, closeout.status) == (
        None, None, Closeout.Status.NOTICE_SENT)
    assert step(mine, "closeout-scenario").completed_at is None
    assert AuditEvent.objects.filter(action="closeout.reaward_undone", contract=mine,
                                     summary__contains="wrong scenario").exists()
    assert AuditEvent.objects.filter(action="closeout.reaward_withdrawn",
                                     contract=new).exists()
    deliver_due()
    [undone] = [m for m in mailoutbox if m.subject.startswith("Re-award undone")]
    assert undone.to == [people["cor"].email]
    assert people["so"].email in undone.cc
    assert "the contract is not re-awarded" in undone.body
    withdrawn_page = text_of(client.get(new.get_absolute_url()))
    assert "Re-award withdrawn" in withdrawn_page and "was undone" in withdrawn_page
    # The withdrawn record is off the home page; the COR chooses again, same number too.
    client.force_login(people["cor"])
    client.get("/")  # shows the team's flash message once
    assert new.contract_number not in text_of(client.get("/"))
    assert "Choose scenario 3" in text_of(page(client, people["cor"], mine))
    response = choose(client, people["cor"], mine, 1, reaward_data(pop_end))
    assert response.status_code == 302
    assert new_record().pk != new.pk


def test_undoing_a_reaward_needs_a_reason_within_the_limit_and_comes_before_the_end_date(
    client, people, scene, sweep_on, mailoutbox  # noqa: F811
):
    mine, pop_end = started(scene(WEEKDAY_END), people, sweep_on, mailoutbox)
    choose(client, people["cor"], mine, 1, reaward_data(pop_end))
    client.force_login(people["onboarding_team"])

    response = client.post(undo_url(mine), {"reason": "  "})
    assert response.status_code == 400
    assert "Say why the re-award is undone." in text_of(response)
    response = client.post(undo_url(mine), {"reason": "x" * (SHORT_TEXT_MAX + 1)})
    assert response.status_code == 400
    assert f"at most {SHORT_TEXT_MAX:,}" in text_of(response) or \
        f"at most {SHORT_TEXT_MAX}" in text_of(response)
    assert new_record().stage == Stage.REAWARDED

    # After the carry-over on the end date it is too late.
    sweep_on(pop_end)
    client.force_login(people["onboarding_team"])
    assert "Undo the re-award" not in text_of(page(client, people["onboarding_team"], mine))
    response = client.post(undo_url(mine), {"reason": "Too late."}, follow=True)
    assert "Access was already carried over" in text_of(response)
    assert new_record().stage == Stage.REAWARDED


# --- the new POP's start --------------------------------------------------------------------


def test_a_new_pop_starting_later_than_the_day_after_the_old_end_needs_a_reason(
    client, people, scene, sweep_on, mailoutbox  # noqa: F811
):
    mine, pop_end = started(scene(WEEKDAY_END), people, sweep_on, mailoutbox)
    late = datetime.date(2029, 4, 1)  # 16 months after the old end

    response = choose(client, people["cor"], mine, 1, reaward_data(
        pop_end, new_pop_start=late.isoformat(), new_pop_end="2030-03-31"))

    assert response.status_code == 400
    assert ("The new period of performance starts April 1, 2029, 488 days after the current "
            "one ends (November 30, 2027), not the day after (December 1, 2027)") \
        in text_of(response)
    assert not Contract.objects.filter(contract_number=NEW_NUMBER).exists()

    response = choose(client, people["cor"], mine, 1, reaward_data(
        pop_end, new_pop_start=late.isoformat(), new_pop_end="2030-03-31",
        pop_start_reason="The bridge contract covers the gap."))
    assert response.status_code == 302
    closeout = Closeout.objects.get(contract=mine)
    assert closeout.answers["pop_start_reason"] == "The bridge contract covers the gap."


def test_a_new_pop_starting_before_the_old_last_day_is_refused(
    client, people, scene, sweep_on, mailoutbox  # noqa: F811
):
    mine, pop_end = started(scene(WEEKDAY_END), people, sweep_on, mailoutbox)

    response = choose(client, people["cor"], mine, 1, reaward_data(
        pop_end, new_pop_start=(pop_end - DAY).isoformat(), pop_start_reason="Overlap."))

    assert response.status_code == 400
    assert "or on its last day (November 30, 2027) at the earliest" in text_of(response)
    # The last day itself, with a reason, is an accepted one-day overlap.
    response = choose(client, people["cor"], mine, 1, reaward_data(
        pop_end, new_pop_start=pop_end.isoformat(), pop_start_reason="Handover day."))
    assert response.status_code == 302


# --- the new record waits in its own stage ----------------------------------------------------


def test_the_new_record_waits_for_its_pop_with_no_award_date_and_no_intake_then_starts(
    client, people, scene, sweep_on, mailoutbox  # noqa: F811
):
    mine, pop_end = started(scene(WEEKDAY_END), people, sweep_on, mailoutbox)
    choose(client, people["cor"], mine, 1, reaward_data(pop_end))
    new = new_record()
    assert (new.stage, new.award_date, new.estimated_award_date) == (
        Stage.REAWARDED, None, None)

    client.force_login(people["cor"])
    text = text_of(client.get(new.get_absolute_url()))
    assert "Re-awarded: waiting for its period of performance" in text
    assert "No intake form has been started" not in text
    assert "Fill in the intake form" not in text
    assert "onboarding carried over from the previous contract" in text
    intake = client.post(reverse("onboarding:intake", args=[new.pk]), follow=True)
    assert not hasattr(new, "onboarding_request") or not refreshed(new).onboarding_request
    assert "re-awarded to the incumbent" in text_of(intake)
    listed = text_of(client.get(reverse("contracts:list"), {"stage": "reawarded"}))
    assert NEW_NUMBER in listed and mine.contract_number not in listed
    assert "Re-awarded: waiting for its period of performance" in text_of(client.get("/"))

    # After a gap in the sweeps, the first one after the POP start starts it, once.
    sweep_on(pop_end)
    assert refreshed(new).stage == Stage.REAWARDED
    report = sweep_on(pop_end + 3 * DAY)
    assert (report.reawards_started, refreshed(new).stage) == (1, Stage.ACTIVE)
    assert sweep_on(pop_end + 3 * DAY).reawards_started == 0
    assert refreshed(new).stage == Stage.ACTIVE


def test_an_award_date_the_cor_gives_is_kept_and_a_future_one_refused(
    client, people, scene, sweep_on, mailoutbox  # noqa: F811
):
    mine, pop_end = started(scene(WEEKDAY_END), people, sweep_on, mailoutbox)
    today = clock.today()
    response = choose(client, people["cor"], mine, 1, reaward_data(
        pop_end, new_award_date=(today + DAY).isoformat()))
    assert response.status_code == 400
    assert "The award date cannot be in the future" in text_of(response)

    response = choose(client, people["cor"], mine, 1, reaward_data(
        pop_end, new_award_date=today.isoformat()))
    assert response.status_code == 302
    assert new_record().award_date == today



def test_access_carried_over_before_a_late_new_pop_waits_paused_until_it_starts(
    client, people, scene, sweep_on, mailoutbox  # noqa: F811
):
    s = scene(WEEKDAY_END)
    mine, pop_end = started(s, people, sweep_on, mailoutbox)
    late = datetime.date(2029, 4, 2)  # after a gap; DUA-1 expires on January 4, 2029
    assert choose(client, people["cor"], mine, 1, reaward_data(
        pop_end, new_pop_start=late.isoformat(), new_pop_end="2030-03-31",
        pop_start_reason="A bridge contract covers the gap.")).status_code == 302
    new = new_record()
    mailoutbox.clear()

    sweep_on(pop_end)

    carried = {(g.user_id, g.service.slug): (g.status, g.pause_reason)
               for g in new.access_grants.all()}
    assert carried == {
        (s["ana"].pk, "sas-viya"): ("paused", "waiting_for_pop"),
        (s["ana"].pk, "confluence"): ("paused", "waiting_for_pop"),
        (people["contractor_user"].pk, "confluence"): ("paused", "waiting_for_pop"),
    }
    [notice] = [m for m in mailoutbox if "carried over" in m.subject]
    assert "starts April 2, 2029, so this access is paused until then" in notice.body
    assert refreshed(new).stage == Stage.REAWARDED

    report = sweep_on(late + 2 * DAY)  # the first sweep after the POP start

    assert report.reawards_started == 1
    after = {(g.user_id, g.service.slug): (g.status, g.pause_reason)
             for g in new.access_grants.all()}
    assert after == {
        (s["ana"].pk, "sas-viya"): ("paused", "dua_lapsed"),  # no DUA valid by then
        (s["ana"].pk, "confluence"): ("active", ""),
        (people["contractor_user"].pk, "confluence"): ("requested", ""),
    }


def test_a_kept_dua_pdf_left_unconfirmed_is_deleted_by_the_sweep_and_asked_for_again(
    client, people, scene, sweep_on, mailoutbox  # noqa: F811
):
    mine, pop_end = started(scene(WEEKDAY_END), people, sweep_on, mailoutbox)
    answers = preview_data(pop_end, dua_still_valid="no", dua_number="DUA-2028",
                           dua_expiry_date=(pop_end + 300 * DAY).isoformat())
    response = choose(client, people["cor"], mine, 1, {**answers,
                                                       "dua_document": pdf_upload()})
    kept = response.context["pending_dua"]
    assert default_storage.exists(kept.name)

    sweep_on(clock.today() + 2 * DAY)

    assert not default_storage.exists(kept.name)
    client.force_login(people["cor"])
    response = client.post(scenario_url(mine), {**answers, "pending_dua": kept.token,
                                                "confirm": "yes"})
    assert response.status_code == 400
    assert "Choose the new signed DUA (a PDF)" in text_of(response)
    assert not Contract.objects.filter(contract_number=NEW_NUMBER).exists()
