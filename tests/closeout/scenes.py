"""What the closeout scenario tests share: the dates they end on, a live contract's scene
(`scene` and `sweep_on` are fixtures, in conftest.py) and the steps people take."""

import datetime

from django.urls import reverse

from muster.access.models import AccessGrant, GrantStatus
from muster.catalog.models import Service
from muster.contracts.models import Stage
from tests.pages import mails_with_subject

from ..factories import signed_in

DAY = datetime.timedelta(days=1)
WEEKDAY_END = datetime.date(2027, 11, 30)  # a Tuesday
SATURDAY_END = datetime.date(2027, 11, 27)
HOLIDAY_END = datetime.date(2027, 11, 25)  # Thanksgiving Day, a federal holiday


def service(slug) -> Service:
    return Service.objects.get(slug=slug)


def grant(contract, user, slug, status=GrantStatus.ACTIVE, by=None) -> AccessGrant:
    activated = None if status == GrantStatus.REQUESTED else datetime.datetime(
        2026, 12, 21, 12, tzinfo=datetime.UTC)
    return AccessGrant.objects.create(contract=contract, user=user, service=service(slug),
                                      status=status, requested_by=by or user,
                                      activated_at=activated)


def refreshed(obj):
    return type(obj).objects.get(pk=obj.pk)


def step(contract, key):
    return contract.steps.get(key=key)


def notice_arrives(scene_data, people, sweep_on, mailoutbox):
    """The day before the 60-day mark nothing happens; on it the notice goes out."""
    mine, pop_end = scene_data["mine"], scene_data["pop_end"]
    report = sweep_on(pop_end - 61 * DAY)
    assert report.closeout_notices == 0
    assert refreshed(mine).stage == Stage.ACTIVE

    report = sweep_on(pop_end - 60 * DAY)

    assert report.closeout_notices == 1
    assert refreshed(mine).stage == Stage.CLOSING
    [notice] = mails_with_subject(mailoutbox, "Closeout:")
    assert notice.to == [people["cor"].email]
    assert people["onboarding_team"].email in notice.cc
    assert reverse("closeout:closeout", args=[mine.pk]) in notice.body
    mailoutbox.clear()


def choose(client, person, contract, number, data):
    url = reverse("closeout:scenario", args=[contract.pk, number])
    return signed_in(client, person).post(url, data)


def page(client, person, contract):
    return signed_in(client, person).get(reverse("closeout:closeout", args=[contract.pk]))


def live(contract) -> list[AccessGrant]:
    return list(AccessGrant.objects.filter(contract=contract).exclude(
        status=GrantStatus.REVOKED))


def reaward_data(pop_end, **changes) -> dict:
    data = {
        "new_name": "Mine, the sequel", "new_contract_number": "75FCMC27C0099",
        "new_task_order_number": "TO-7", "new_pop_start": (pop_end + DAY).isoformat(),
        "new_pop_end": (pop_end + 365 * DAY).isoformat(), "dua_still_valid": "yes",
        "so_spoc_unchanged": "yes", "data_to_archive": "The 2027 quality measures extract.",
        "same_data_needed": "yes",
        "confirm": "yes",  # past the "This will create" page (tested in test_reaward.py)
    }
    data.update(changes)
    return data
