"""Warnings before a DUA expires: 30, 7 and 1 days before (settings.DUA_WARNING_DAYS), the
SO and COR are told which access will pause, once per DUA and threshold, by the daily sweep
(catching up after missed days with only the most pressing warning); the contract page
shows it until a new valid DUA covers that access. Through the sweep and the pages, with a
frozen clock."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from muster.access import dua as dua_service
from muster.access import grants as grant_service
from muster.access.models import GrantStatus
from muster.audit.models import AuditEvent
from muster.closeout import sweep
from muster.notifications.models import OutboxEmail
from tests.factories import UserFactory, give_role, pdf_upload
from tests.pages import text_of

from .test_dua import grant, make_dua, roster_in_every_state, service

EXPIRY = datetime.date(2027, 3, 31)
DAY = datetime.timedelta(days=1)
WARNING = "DUA DUA-1 expires on March 31, 2027"


def before(days: int) -> datetime.date:
    return EXPIRY - days * DAY


@pytest.fixture
def scene(people, freeze_today):
    """`mine` with SAS Viya (needs a DUA) and Confluence approved, DUA-1 (SAS Viya) valid
    through March 31, 2027, and grants in every state: Ana's and Ben's SAS Viya would pause
    when it lapses (active, requested); Cyd's is paused for another reason, Ben's earlier
    one revoked, Ana's Confluence needs no DUA."""
    freeze_today(before(60))
    mine, grants, users = roster_in_every_state(people)
    dua = make_dua(mine, expiry=EXPIRY, effective=datetime.date(2026, 4, 1))
    return {"people": people, "mine": mine, "dua": dua, "grants": grants, "users": users}


@pytest.fixture
def sweep_on(freeze_today):
    """The sweep as the worker runs it on `day` (clock frozen to it), emails delivered."""

    def run(day: datetime.date):
        freeze_today(day)
        return sweep.run(day)

    return run


def warnings() -> list[OutboxEmail]:
    return list(OutboxEmail.objects.filter(template="dua_expiring").order_by("pk"))


def warned_days() -> list[int]:
    """The days left each warning queued so far announced, in order."""
    events = AuditEvent.objects.filter(action="access.dua_expiry_warned").order_by("pk")
    return [e.after["days_left"] for e in events]


def upload_renewal(scene, effective=datetime.date(2027, 3, 1)):
    return dua_service.upload_dua(
        scene["people"]["so"], scene["mine"], number="DUA-2", effective_date=effective,
        expiry_date=datetime.date(2028, 3, 31), document=pdf_upload(),
        services=[service("sas-viya")])


def contract_page(client, scene, who="cor") -> str:
    client.force_login(scene["people"][who])
    response = client.get(scene["mine"].get_absolute_url())
    assert response.status_code == 200
    return text_of(response)


# --- The sweep -------------------------------------------------------------------------


def test_daily_sweeps_warn_30_7_and_1_days_before_expiry_once_each(scene, sweep_on,
                                                                     mailoutbox):
    sent_on = {}
    for day in (before(n) for n in range(35, -1, -1)):
        report = sweep_on(day)
        if report.dua_warnings:
            sent_on[(EXPIRY - day).days] = report.dua_warnings

    assert sent_on == {30: 1, 7: 1, 1: 1}
    assert [e.subject for e in warnings()] == [
        "DUA DUA-1 of Mine expires in 30 days: access will pause",
        "DUA DUA-1 of Mine expires in 7 days: access will pause",
        "DUA DUA-1 of Mine expires tomorrow: access will pause",
    ]
    assert warned_days() == [30, 7, 1]
    events = AuditEvent.objects.filter(action="access.dua_expiry_warned")
    assert {(e.actor_id, e.contract_id) for e in events} == {(None, scene["mine"].pk)}
    assert len([m for m in mailoutbox if "expires" in m.subject]) == 3

    # Running it again on the same day sends nothing more; nor does the expiry day.
    assert sweep_on(before(1)).dua_warnings == 0
    assert sweep_on(before(0)).dua_warnings == 0
    assert len(warnings()) == 3
    # The day after, the lapse pauses the access it warned about.
    assert sweep_on(EXPIRY + DAY).dua_pauses == 2


def test_after_a_missed_week_only_the_most_pressing_warning_goes(scene, sweep_on):
    sweep_on(before(31))
    assert warnings() == []
    # A week without sweeps: the 30-day threshold passed unseen, the 7-day one is reached.
    assert sweep_on(before(6)).dua_warnings == 1
    assert warned_days() == [6]
    assert warnings()[0].key.endswith(":7")
    assert "expires in 6 days" in warnings()[0].subject

    # A missed week after the 30-day warning: the 7-day one, once, not the 30 again.
    for day in (before(3), before(2)):
        assert sweep_on(day).dua_warnings == 0
    assert sweep_on(before(1)).dua_warnings == 1
    assert warned_days() == [6, 1]


def test_a_first_sweep_after_a_missed_week_inside_the_window_sends_one_warning(
    scene, sweep_on
):
    sweep_on(before(40))
    assert sweep_on(before(2)).dua_warnings == 1  # not 30, 7 and 2 at once
    assert [w.key.rsplit(":", 1)[1] for w in warnings()] == ["7"]


def test_a_new_valid_dua_stops_further_warnings(scene, sweep_on):
    sweep_on(before(30))
    assert warned_days() == [30]

    sweep_on(before(20))
    upload_renewal(scene)  # on that day
    for n in (7, 1, 0):
        assert sweep_on(before(n)).dua_warnings == 0
    assert warned_days() == [30]
    assert sweep_on(EXPIRY + DAY).dua_pauses == 0


def test_a_renewal_that_takes_effect_the_day_after_expiry_also_stops_them(scene, sweep_on):
    upload_renewal(scene, effective=EXPIRY + DAY)
    for n in (30, 7, 1):
        assert sweep_on(before(n)).dua_warnings == 0
    assert warnings() == []


def test_an_invalidated_dua_gets_no_warning(scene, sweep_on):
    sweep_on(before(40))
    dua_service.invalidate_dua(scene["people"]["cor"], scene["dua"], "Signed by the wrong party.")
    for n in (30, 7, 1):
        assert sweep_on(before(n)).dua_warnings == 0
    assert warnings() == []


def test_an_invalidated_dua_expiring_soon_warns_nothing_while_another_covers(scene, sweep_on):
    # The newer DUA expires soon too, but the older one being invalid changes nothing
    # pausable: the newer one warns, the invalid one never does.
    old = make_dua(scene["mine"], number="DUA-0", expiry=before(-100),
                   effective=datetime.date(2026, 1, 1))
    dua_service.invalidate_dua(scene["people"]["cor"], old, "Superseded.")
    sweep_on(before(30))
    assert [w.key for w in warnings()] == [f"dua_expiring:{scene['dua'].pk}:30"]


def test_a_dua_with_nothing_to_pause_gets_no_warning(client, scene, sweep_on):
    for name in ("ana_sas", "ben_sas"):
        grant_service.revoke(scene["people"]["so"], scene["grants"][name])
    for n in (30, 7, 1):
        assert sweep_on(before(n)).dua_warnings == 0
    assert warnings() == []
    assert "will pause" not in contract_page(client, scene)


def test_the_warning_names_the_users_and_services_that_will_pause(scene, sweep_on,
                                                                    mailoutbox):
    people = scene["people"]
    sweep_on(before(7))

    [email] = [m for m in mailoutbox if "expires" in m.subject]
    assert email.subject == "DUA DUA-1 of Mine expires in 7 days: access will pause"
    assert sorted(email.to) == sorted([people["so"].email, people["cor"].email])
    assert email.cc == [people["spoc"].email]
    body = email.body
    assert "expires on March 31, 2027 (in 7 days)" in body
    assert f"- Ana Analyst ({scene['users']['ana'].email}): SAS Viya" in body
    assert f"- Ben Builder ({scene['users']['ben'].email}): SAS Viya" in body
    assert "Cyd Coder" not in body  # paused already, for another reason
    assert "Confluence" not in body  # needs no DUA
    assert "April 1, 2027" in body  # the day the access pauses
    assert "upload the renewed, signed DUA" in body
    assert reverse("access:dua", args=[scene["mine"].pk]) in body
    assert scene["mine"].get_absolute_url() in body


def test_the_contract_history_shows_each_warning(client, scene, sweep_on):
    sweep_on(before(7))
    client.force_login(scene["people"]["cor"])
    page = text_of(client.get(reverse("contracts:history", args=[scene["mine"].pk])))
    assert ("Warned the SO and COR that DUA DUA-1 expires on March 31, 2027 (in 7 days): "
            "2 grants would pause") in page


def test_a_custom_list_of_warning_days_is_honoured(scene, sweep_on, settings):
    settings.DUA_WARNING_DAYS = [14, 3]
    sent = [n for n in range(31, -1, -1) if sweep_on(before(n)).dua_warnings]
    assert sent == [14, 3]
    assert [w.key.rsplit(":", 1)[1] for w in warnings()] == ["14", "3"]


def test_no_warning_days_means_no_warning(scene, sweep_on, settings):
    settings.DUA_WARNING_DAYS = []
    assert sweep_on(before(1)).dua_warnings == 0


# --- The contract page -----------------------------------------------------------------


def test_the_contract_page_shows_the_warning_until_a_new_valid_dua_covers_the_access(
    client, scene, freeze_today
):
    freeze_today(before(31))
    page = contract_page(client, scene)
    assert f"{WARNING}, in 31 days." in page  # the DUA's state, as always
    assert "will pause" not in page  # outside the largest window: no warning

    freeze_today(before(7))
    page = contract_page(client, scene)
    assert (f"{WARNING} (in 7 days): SAS Viya access for 2 users will pause" in page)
    assert "Upload the renewed DUA" in page

    freeze_today(before(0))
    assert f"{WARNING} (today): SAS Viya access for 2 users will pause" in contract_page(
        client, scene)

    freeze_today(before(5))
    upload_renewal(scene)
    assert "will pause" not in contract_page(client, scene)


def test_the_upload_link_shows_only_to_who_may_upload(client, scene, freeze_today):
    freeze_today(before(7))
    client.force_login(scene["people"]["cor"])
    html = client.get(scene["mine"].get_absolute_url()).content.decode()
    assert reverse("access:dua", args=[scene["mine"].pk]) + "#upload-heading" in html

    page = contract_page(client, scene, "poc")
    assert "SAS Viya access for 2 users will pause" in page
    assert "Upload the renewed DUA" not in page
    assert "The SO, the COR or the onboarding team can upload" in page


def test_the_contract_page_queries_do_not_grow_with_the_access_that_will_pause(
    client, scene, freeze_today, django_assert_num_queries
):
    freeze_today(before(7))
    url = scene["mine"].get_absolute_url()
    client.force_login(scene["people"]["onboarding_team"])
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    for _ in range(15):
        user = UserFactory()
        give_role(user, scene["mine"], "contractor_user")
        grant(scene["mine"], user, "sas-viya", GrantStatus.ACTIVE)

    with django_assert_num_queries(len(captured)):
        response = client.get(url)
    assert "SAS Viya access for 17 users will pause" in text_of(response)
