"""current_closeout (a query built once per process) answers as the ORM's latest closeout
of the contract, and its contract is the one given (no query to read it)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from muster.closeout.models import Closeout
from muster.closeout.queries import current_closeout

from ..factories import make_contract

pytestmark = pytest.mark.django_db


def test_the_current_closeout_is_the_latest_notice_then_the_latest_made():
    none, one, two = make_contract(), make_contract(), make_contract()
    sent = timezone.make_aware(datetime.datetime(2027, 1, 1, 9))
    Closeout.objects.create(contract=one, pop_end=datetime.date(2027, 3, 1), notice_sent_at=sent)
    for day in (1, 2, 3):  # the last two sent at the same time: the later made wins
        Closeout.objects.create(contract=two, pop_end=datetime.date(2027, day, 1),
                                notice_sent_at=sent + datetime.timedelta(days=min(day, 2)))
    for contract in (none, one, two):
        expected = contract.closeouts.order_by("-notice_sent_at", "-pk").first()
        found = current_closeout(contract)
        assert (found and (found.pk, found.pop_end)) == (expected and (expected.pk,
                                                                        expected.pop_end))
        if found is not None:
            with CaptureQueriesContext(connection) as captured:
                assert found.contract is contract
            assert len(captured) == 0
    assert current_closeout(two).pop_end == datetime.date(2027, 3, 1)
