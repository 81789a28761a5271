"""The demo's reconciliation findings (issue 16).

The story already leaves two: Tidewater's analysts use Confluence (EUA job code
CONFL_User) while their EUA background checks are not started. Here, Reese Kowalczyk (the
SO of Payment Model Evaluation, Northfield) adds Noel Trevino, already on Tidewater's
roster, to Northfield's (a person on two contractors' rosters), and asks for their Slack
access nine business days ago: nobody confirmed it (more than five business days).
"""

import contextlib
import datetime
import itertools

from django.utils import timezone

from muster import clock
from muster.access import grants
from muster.access import roster as access_roster
from muster.accounts.models import User
from muster.catalog.models import Service
from muster.timeline import calendar


@contextlib.contextmanager
def _on(day: datetime.date, hour: int = 9):
    """Muster's clock reads `day` at `hour` (a second later at each read) in the block: as
    data.py's `_on` (not imported: data.py imports this module)."""
    real_now = clock.now
    start = datetime.datetime.combine(day, datetime.time(hour),
                                      tzinfo=timezone.get_current_timezone())
    ticks = itertools.count()
    clock.now = lambda: start + datetime.timedelta(seconds=next(ticks))
    try:
        yield day
    finally:
        clock.now = real_now


def show(created: dict) -> None:
    contract = created["active-2"]
    so = User.objects.get(email="so@northfield.example.com")
    noel = User.objects.get(email="analyst@tidewater.example.com")  # on Tidewater's roster
    with _on(calendar.add_business_days(clock.today(), -9)):
        access_roster.add_user(so, contract, full_name=noel.full_name, email=noel.email,
                               harp_id=noel.harp_id)
        grants.grant(so, contract, noel, Service.objects.get(slug="slack"))
