"""The four closeout scenarios end to end, through HTTP as the COR and the onboarding team,
with Muster's clock frozen and the daily sweep run on chosen days.

Each test starts from a live contract 61 days before its POP end, lets the sweep send the
closeout notice, has the COR choose the scenario on the closeout page, then moves time to
see its effects as people notice them: emails, grants, stages, the timeline, the record.
"""

import datetime

import pytest
from django.urls import reverse

from muster.access import dua as dua_service
from muster.access.models import AccessGrant, GrantStatus, PauseReason
from muster.accounts.models import User
from muster.audit.models import AuditEvent
from muster.closeout.models import Closeout, Scenario
from muster.contracts.models import Contract, Stage
from muster.notifications.delivery import deliver_due
from tests.pages import mails_with_subject, text_of

from ..factories import UserFactory, pdf_upload
from .scenes import (
    DAY,
    HOLIDAY_END,
    SATURDAY_END,
    WEEKDAY_END,
    choose,
    live,
    notice_arrives,
    page,
    reaward_data,
    refreshed,
    service,
    step,
)

# --- scenario 1: re-award to the incumbent -------------------------------------------


def test_reaward_with_a_valid_dua_carries_access_over_to_the_new_contract_on_the_end_date(
    client, people, scene, sweep_on, mailoutbox
):
    s = scene(WEEKDAY_END)
    mine, pop_end = s["mine"], s["pop_end"]
    notice_arrives(s, people, sweep_on, mailoutbox)

    # The COR reads the four scenarios and picks the first.
    response = page(client, people["cor"], mine)
    text = text_of(response)
    assert "Scenario 1: Contract ends, and a new contract is re-awarded to the incumbent" in text
    assert "Scenario 4: Contract period of performance is extended" in text
    assert "Waiting for the COR's scenario" in text
    response = choose(client, people["cor"], mine, 1, reaward_data(pop_end))

    assert response.status_code == 302
    assert response.url == reverse("closeout:closeout", args=[mine.pk])
    new = Contract.objects.get(contract_number="75FCMC27C0099")
    assert (new.name, new.task_order_number) == ("Mine, the sequel", "TO-7")
    assert (new.pop_start, new.pop_end) == (pop_end + DAY, pop_end + 365 * DAY)
    # It waits for its period of performance; nobody gave an award date.
    assert (new.stage, new.award_date) == (Stage.REAWARDED, None)
    assert new.organization_id == mine.organization_id
    assert {(r.role, r.user_id) for r in new.roles.all()} == {
        (r.role, r.user_id) for r in mine.roles.exclude(role="contractor_user")
    }
    assert set(new.services.filter(status="approved").values_list("service__slug", flat=True)) \
        == {"sas-viya", "confluence"}
    assert dua_service.valid_dua(new, pop_end + DAY, service("sas-viya")) is not None
    closeout = Closeout.objects.get(contract=mine)
    assert (closeout.scenario, closeout.successor) == (Scenario.REAWARD_INCUMBENT, new)
    assert closeout.answers["dua_still_valid"] is True
    assert step(mine, "closeout-notice").completed_at is not None
    deliver_due()
    [chosen] = mails_with_subject(mailoutbox, "Closeout scenario for Mine")
    assert chosen.to == [people["onboarding_team"].email]
    assert people["cor"].email in chosen.cc

    page_text = text_of(page(client, people["onboarding_team"], mine))
    assert "Re-awarded to the incumbent — chosen by Cora COR" in page_text
    assert "75FCMC27C0099" in page_text and "The 2027 quality measures extract." in page_text

    # The day before the end nothing moves; on the end date access carries over.
    mailoutbox.clear()
    report = sweep_on(pop_end - DAY)
    assert report.grants_carried_over == 0
    assert {g.contract_id for g in live(mine)} == {mine.pk}

    report = sweep_on(pop_end)

    assert report.grants_carried_over == 3
    assert live(mine) == []
    moved = {(g.user_id, g.service.slug): g.status for g in live(new)}
    assert moved == {
        (s["ana"].pk, "sas-viya"): GrantStatus.ACTIVE,
        (s["ana"].pk, "confluence"): GrantStatus.ACTIVE,
        (people["contractor_user"].pk, "confluence"): GrantStatus.REQUESTED,
    }
    assert new.roles.filter(role="contractor_user", user=s["ana"]).exists()
    assert mine.roles.filter(role="contractor_user", user=s["ana"]).exists()  # roster kept
    assert refreshed(mine).stage == Stage.CLOSED
    assert refreshed(new).stage == Stage.REAWARDED  # its POP starts tomorrow
    [carried] = [m for m in mailoutbox if "carried over to Mine, the sequel" in m.subject]
    assert carried.to == [people["so"].email]
    assert people["cor"].email in carried.cc
    assert AuditEvent.objects.filter(action="access.carried_over", contract=new).count() == 3
    # The next day its period of performance starts: the new record is active.
    sweep_on(pop_end + DAY)
    assert refreshed(new).stage == Stage.ACTIVE

    # Nothing is left to remove: the carry-over completed the timeline's last step.
    assert step(mine, "remove-access").completed_at is not None
    assert step(mine, "remove-access").completion_note.startswith(
        "Access carried over to Mine, the sequel")


def test_reaward_with_new_so_and_spoc_puts_them_on_the_new_contract_only(
    client, people, scene, sweep_on, mailoutbox
):
    s = scene(WEEKDAY_END)
    mine = s["mine"]
    notice_arrives(s, people, sweep_on, mailoutbox)
    existing = UserFactory(full_name="Sue Spoc", harp_id="")

    response = choose(client, people["cor"], mine, 1, reaward_data(
        s["pop_end"], so_spoc_unchanged="no",
        new_so_name="Nina Newso", new_so_email="Nina@Example.com", new_so_harp_id="nina.n-01",
        new_spoc_name="Sue Spoc", new_spoc_email=existing.email, new_spoc_harp_id="sue_s",
    ))

    assert response.status_code == 302
    new = Closeout.objects.get(contract=mine).successor
    nina = User.objects.get(email="nina@example.com")
    assert (nina.full_name, nina.harp_id) == ("Nina Newso", "nina.n-01")
    assert new.roles.get(role="so").user == nina
    assert new.roles.get(role="spoc").user == existing
    assert refreshed(existing).harp_id == "sue_s"
    assert new.roles.get(role="cor").user == people["cor"]
    # The current contract keeps its people until it ends.
    assert mine.roles.get(role="so").user == people["so"]
    assert mine.roles.get(role="spoc").user == people["spoc"]
    assert AuditEvent.objects.filter(action="contract.role_assigned", contract=new,
                                     after__user="nina@example.com").exists()


def test_reaward_with_a_dua_no_longer_valid_pauses_dua_access_on_the_new_contract_until_a_new_pdf(
    client, people, scene, sweep_on, mailoutbox
):
    s = scene(WEEKDAY_END)
    mine, pop_end = s["mine"], s["pop_end"]
    notice_arrives(s, people, sweep_on, mailoutbox)

    response = choose(client, people["cor"], mine, 1,
                      reaward_data(pop_end, dua_still_valid="no"))
    assert response.status_code == 302
    client.force_login(people["cor"])
    followed = text_of(client.get(response.url))
    assert "access to the services that need a DUA pauses then" in followed
    new = Closeout.objects.get(contract=mine).successor
    assert not new.duas.exists()

    sweep_on(pop_end)

    statuses = {g.service.slug: (g.status, g.pause_reason) for g in live(new)
                if g.user_id == s["ana"].pk}
    assert statuses == {"sas-viya": (GrantStatus.PAUSED, PauseReason.DUA_LAPSED),
                        "confluence": (GrantStatus.ACTIVE, "")}

    # The new DUA's PDF, uploaded on the new contract, resumes exactly that access.
    _dua, resumed = dua_service.upload_dua(
        people["cor"], new, number="DUA-2", effective_date=None,
        expiry_date=pop_end + 300 * DAY, document=pdf_upload(), services=[service("sas-viya")])
    assert [(g.user, g.service.slug) for g in resumed] == [(s["ana"], "sas-viya")]
    assert AccessGrant.objects.get(pk=s["grants"]["ana_sas"].pk).status == GrantStatus.ACTIVE


def test_reaward_with_the_new_dua_given_keeps_dua_access_live_on_the_new_contract(
    client, people, scene, sweep_on, mailoutbox
):
    s = scene(WEEKDAY_END)
    mine, pop_end = s["mine"], s["pop_end"]
    notice_arrives(s, people, sweep_on, mailoutbox)

    response = choose(client, people["cor"], mine, 1, reaward_data(
        pop_end, dua_still_valid="no", dua_number="DUA-2027",
        dua_expiry_date=(pop_end + 200 * DAY).isoformat(), dua_document=pdf_upload()))

    assert response.status_code == 302
    new = Closeout.objects.get(contract=mine).successor
    [stored] = new.duas.all()
    assert stored.number == "DUA-2027" and stored.document.name.endswith(".pdf")
    assert list(stored.services.values_list("slug", flat=True)) == ["sas-viya"]
    sweep_on(pop_end)
    assert AccessGrant.objects.get(pk=s["grants"]["ana_sas"].pk).status == GrantStatus.ACTIVE


# --- scenarios 2 and 3: access removed on the POP end date ---------------------------


@pytest.mark.parametrize("pop_end", [WEEKDAY_END, SATURDAY_END, HOLIDAY_END],
                         ids=["weekday", "saturday", "federal-holiday"])
def test_other_contractor_revokes_every_grant_exactly_on_the_pop_end_date(
    client, people, scene, sweep_on, mailoutbox, pop_end
):
    s = scene(pop_end)
    mine = s["mine"]
    notice_arrives(s, people, sweep_on, mailoutbox)

    client.force_login(people["cor"])
    form = client.get(reverse("closeout:scenario", args=[mine.pk, 2]))
    assert f'value="{pop_end.isoformat()}"' in form.content.decode()  # the date, pre-filled
    response = choose(client, people["cor"], mine, 2, {
        "pop_end_confirmed": pop_end.isoformat(), "data_to_archive": "Claims extracts.",
        "new_contractor_needs_data": "yes",
    })
    assert response.status_code == 302
    closeout = Closeout.objects.get(contract=mine)
    assert closeout.scenario == Scenario.OTHER_CONTRACTOR
    assert closeout.answers == {"pop_end_confirmed": pop_end.isoformat(),
                                "data_to_archive": "Claims extracts.",
                                "new_contractor_needs_data": True}

    mailoutbox.clear()
    report = sweep_on(pop_end - DAY)  # a business day or not, the day before: nothing
    assert report.grants_revoked == 0
    assert len(live(mine)) == 3
    assert refreshed(mine).stage == Stage.CLOSING

    report = sweep_on(pop_end)

    assert (report.contracts_ended, report.grants_revoked) == (1, 3)
    assert live(mine) == []
    assert refreshed(mine).stage == Stage.CLOSED
    assert mine.roles.filter(role="contractor_user").count() == 2  # the roster is kept
    [removed] = mails_with_subject(mailoutbox, "Access removed: Mine")
    assert removed.to == [people["so"].email]
    assert {people["cor"].email, people["spoc"].email} <= set(removed.cc)
    assert "Ana Analyst: SAS Viya" in removed.body
    closeout = refreshed(closeout)
    assert (closeout.status, closeout.access_removed_on) == ("access_removed", pop_end)
    # A second run the same day (or later) revokes and sends nothing more.
    again = sweep_on(pop_end + DAY)
    assert again.grants_revoked == 0 and len(mails_with_subject(mailoutbox, "Access removed")) == 1


def test_other_contractor_earlier_confirmed_end_moves_the_removal_date(
    client, people, scene, sweep_on, mailoutbox
):
    s = scene(WEEKDAY_END)
    mine = s["mine"]
    notice_arrives(s, people, sweep_on, mailoutbox)
    earlier = WEEKDAY_END - 10 * DAY

    choose(client, people["cor"], mine, 2, {
        "pop_end_confirmed": earlier.isoformat(), "data_to_archive": "None",
        "new_contractor_needs_data": "no"})

    assert refreshed(mine).pop_end == earlier
    assert step(mine, "remove-access").due_date == earlier
    assert sweep_on(earlier - DAY).grants_revoked == 0
    assert sweep_on(earlier).grants_revoked == 3


def test_other_contractor_the_team_starts_the_new_contractors_contract(
    client, people, scene, sweep_on, mailoutbox
):
    s = scene(WEEKDAY_END)
    mine, pop_end = s["mine"], s["pop_end"]
    notice_arrives(s, people, sweep_on, mailoutbox)
    choose(client, people["cor"], mine, 2, {
        "pop_end_confirmed": pop_end.isoformat(), "data_to_archive": "None",
        "new_contractor_needs_data": "no"})
    team = people["onboarding_team"]
    assert "Start the new contract" in text_of(page(client, team, mine))
    assert "Start the new contract" not in text_of(page(client, people["cor"], mine))

    client.force_login(team)
    awarded = pop_end - 60 * DAY  # today: an award is recorded once it has happened
    response = client.post(reverse("closeout:new_contract", args=[mine.pk]), {
        "name": "Mine (new contractor)", "contract_number": "75fcmc27c0500",
        "award_date": awarded.isoformat(), "pop_start": (pop_end + DAY).isoformat(),
        "confirm": "yes"})

    new = Contract.objects.get(contract_number="75FCMC27C0500")
    assert response.status_code == 302 and response.url == new.get_absolute_url()
    assert (new.name, new.stage, new.award_date) == (
        "Mine (new contractor)", Stage.AWARDED, awarded)
    assert new.organization is None  # another contractor, named at intake
    assert set(new.services.values_list("service__slug", "status")) == {
        ("sas-viya", "requested"), ("confluence", "requested")}
    assert new.roles.get(role="cor").user == people["cor"]
    assert not new.roles.filter(role__in=["so", "spoc", "poc"]).exists()
    done = set(new.steps.filter(completed_at__isnull=False).values_list("key", flat=True))
    assert done == {"notify-solicitation", "identify-requirements", "notify-award"}
    assert new.steps.get(key="submit-intake").completed_at is None  # its own onboarding
    assert Closeout.objects.get(contract=mine).successor == new
    assert [c.contract for c in new.predecessor_closeouts.all()] == [mine]
    assert AuditEvent.objects.filter(action="closeout.new_contract_started",
                                     contract=mine, actor=team).exists()
    assert "This contract follows" in text_of(page(client, team, new))
    # Twice is refused; nothing more is made.
    client.post(reverse("closeout:new_contract", args=[mine.pk]), {
        "name": "Again", "contract_number": "75FCMC27C0501",
        "award_date": awarded.isoformat(), "confirm": "yes"})
    assert not Contract.objects.filter(contract_number="75FCMC27C0501").exists()

    # The old contractor still loses access on its end date.
    assert sweep_on(pop_end).grants_revoked == 3


def test_no_award_removes_access_and_the_team_records_the_archive_and_confirms_removal(
    client, people, scene, sweep_on, mailoutbox
):
    s = scene(SATURDAY_END)
    mine, pop_end = s["mine"], s["pop_end"]
    notice_arrives(s, people, sweep_on, mailoutbox)

    response = choose(client, people["cor"], mine, 3, {
        "pop_end_confirmed": pop_end.isoformat(),
        "data_to_archive": "Every measure extract, in the CMS archive bucket.",
        "all_data_archived": "on"})
    assert response.status_code == 302
    assert Closeout.objects.get(contract=mine).answers["all_data_archived"] is True

    team = people["onboarding_team"]
    client.force_login(team)
    # Confirming removal before the end date is refused, and changes nothing.
    response = client.post(reverse("closeout:confirm_removal", args=[mine.pk]), {"note": ""},
                           follow=True)
    assert "Access is removed on the last day of performance" in text_of(response)
    assert step(mine, "remove-access").completed_at is None

    response = client.post(reverse("closeout:archive", args=[mine.pk]), {"note": "  "})
    assert response.status_code == 400
    assert "Say what was archived and where." in text_of(response)
    assert text_of(response).startswith("Error: ") or "<title>Error: " in \
        response.content.decode()

    response = client.post(reverse("closeout:archive", args=[mine.pk]),
                           {"note": "Archived to CMS bucket s3://archive/mine on Nov 20."})
    assert response.status_code == 302
    closeout = Closeout.objects.get(contract=mine)
    assert closeout.data_archived_by == team
    assert closeout.archive_note == "Archived to CMS bucket s3://archive/mine on Nov 20."
    assert AuditEvent.objects.filter(action="closeout.data_archived", contract=mine).exists()

    assert sweep_on(pop_end - DAY).grants_revoked == 0
    assert sweep_on(pop_end).grants_revoked == 3
    assert refreshed(mine).stage == Stage.CLOSED
    assert len(mails_with_subject(mailoutbox, "Access removed: Mine")) == 1

    response = client.post(reverse("closeout:confirm_removal", args=[mine.pk]), {"note": ""})
    assert response.status_code == 302
    remove = step(mine, "remove-access")
    assert remove.completed_at is not None and remove.completed_by == team
    page_text = text_of(page(client, team, mine))
    assert "Removal confirmed by" in page_text
    assert "Archived to CMS bucket" in page_text


# --- scenario 4: extension -------------------------------------------------------------


def test_extension_moves_the_dates_reopens_the_offboarding_steps_and_restarts_the_clock(
    client, people, scene, sweep_on, mailoutbox
):
    s = scene(WEEKDAY_END)
    mine, pop_end = s["mine"], s["pop_end"]
    notice_arrives(s, people, sweep_on, mailoutbox)
    new_end = datetime.date(2028, 3, 31)

    # The DUA changed: the updated PDF is required.
    response = choose(client, people["cor"], mine, 4, {
        "new_pop_end": new_end.isoformat(), "dua_valid_through_new_end": "no"})
    assert response.status_code == 400
    assert "Choose the new signed DUA (a PDF)" in text_of(response)
    assert refreshed(mine).pop_end == pop_end

    response = choose(client, people["cor"], mine, 4, {
        "new_pop_end": new_end.isoformat(), "dua_valid_through_new_end": "no",
        "dua_number": "DUA-1b", "dua_expiry_date": "2028-06-30", "dua_document": pdf_upload()})

    assert response.status_code == 302
    mine = refreshed(mine)
    assert (mine.pop_end, mine.stage) == (new_end, Stage.ACTIVE)
    assert mine.duas.filter(number="DUA-1b", expiry_date=datetime.date(2028, 6, 30)).exists()
    notice_step, remove_step = step(mine, "closeout-notice"), step(mine, "remove-access")
    assert notice_step.completed_at is None and notice_step.due_date == new_end - 60 * DAY
    assert remove_step.completed_at is None and remove_step.due_date == new_end
    assert Closeout.objects.get(contract=mine, pop_end=pop_end).status == "extended"

    # The old end date passes without any removal.
    assert sweep_on(pop_end).grants_revoked == 0
    assert len(live(mine)) == 3
    # The closeout clock restarts: a new notice at the NEW 60-day mark, not before.
    assert sweep_on(new_end - 61 * DAY).closeout_notices == 0
    assert sweep_on(new_end - 60 * DAY).closeout_notices == 1
    [notice] = mails_with_subject(mailoutbox, "Closeout:")
    assert "March 31, 2028" in notice.subject
    assert refreshed(mine).stage == Stage.CLOSING
    assert Closeout.objects.filter(contract=mine).count() == 2
    page_text = text_of(page(client, people["cor"], mine))
    assert "Waiting for the COR's scenario" in page_text
    assert "Earlier closeouts" in page_text


def test_extension_with_the_dua_unchanged_needs_no_pdf(
    client, people, scene, sweep_on, mailoutbox
):
    s = scene(WEEKDAY_END)
    mine = s["mine"]
    notice_arrives(s, people, sweep_on, mailoutbox)

    response = choose(client, people["cor"], mine, 4, {
        "new_pop_end": "2028-01-31", "dua_valid_through_new_end": "yes"})

    assert response.status_code == 302
    assert refreshed(mine).pop_end == datetime.date(2028, 1, 31)
    assert mine.duas.count() == 1
    assert Closeout.objects.get(contract=mine).answers == {
        "new_pop_end": "2028-01-31", "dua_valid_through_new_end": True}


def test_extension_past_the_only_dua_refuses_yes_and_names_the_expiry(
    client, people, scene, sweep_on, mailoutbox
):
    s = scene(WEEKDAY_END)
    mine, dua = s["mine"], s["dua"]
    notice_arrives(s, people, sweep_on, mailoutbox)
    new_end = dua.expiry_date + 90 * DAY  # the only DUA ends before the new end date

    response = choose(client, people["cor"], mine, 4, {
        "new_pop_end": new_end.isoformat(), "dua_valid_through_new_end": "yes"})

    assert response.status_code == 400
    text = text_of(response)
    expiry = f"{dua.expiry_date:%B} {dua.expiry_date.day}, {dua.expiry_date.year}"
    assert "No DUA on this contract is valid through" in text
    assert f"DUA DUA-1 expires on {expiry}" in text
    assert refreshed(mine).pop_end == s["pop_end"]
    assert not Closeout.objects.get(contract=mine).scenario

    # "No" without the updated DUA and without accepting the pause: the DUA is asked for.
    response = choose(client, people["cor"], mine, 4, {
        "new_pop_end": new_end.isoformat(), "dua_valid_through_new_end": "no"})
    assert response.status_code == 400
    assert "Choose the new signed DUA (a PDF)" in text_of(response)


def test_extension_past_the_dua_can_record_that_dua_access_pauses_on_its_expiry(
    client, people, scene, sweep_on, mailoutbox
):
    s = scene(WEEKDAY_END)
    mine, dua = s["mine"], s["dua"]
    notice_arrives(s, people, sweep_on, mailoutbox)
    new_end = dua.expiry_date + 90 * DAY

    response = choose(client, people["cor"], mine, 4, {
        "new_pop_end": new_end.isoformat(), "dua_valid_through_new_end": "no",
        "dua_pause_accepted": "on"})

    assert response.status_code == 302
    assert refreshed(mine).pop_end == new_end
    assert mine.duas.count() == 1
    assert Closeout.objects.get(contract=mine, pop_end=s["pop_end"]).answers == {
        "new_pop_end": new_end.isoformat(), "dua_valid_through_new_end": False,
        "dua_services_pause_on": dua.expiry_date.isoformat()}
    expiry = f"{dua.expiry_date:%A, %B} {dua.expiry_date.day}, {dua.expiry_date.year}"
    assert ("Access to the services that need a DUA pauses on " + expiry
            in text_of(page(client, people["cor"], mine)))
