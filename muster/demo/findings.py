"""The demo's reconciliation findings (issue 16).

The story already leaves two: Tidewater's analysts use Confluence (EUA job code
CONFL_User) while their EUA background checks are not started. Here, Reese Kowalczyk (the
SO of Payment Model Evaluation, Northfield) adds Noel Trevino, already on Tidewater's
roster, to Northfield's (a person on two contractors' rosters), and asks for their Slack
access nine business days ago: nobody confirmed it (more than five business days).
Yesterday's daily check found them and emailed the onboarding team its summary.
"""
import datetime

from django.conf import settings

from muster import clock
from muster.access import grants
from muster.access import roster as access_roster
from muster.accounts.models import User
from muster.catalog.models import Service
from muster.reconciliation import services as reconciliation
from muster.timeline import calendar

from .story import on as _on


def show(created: dict) -> None:
    contract = created["active-2"]
    so = User.objects.get(email="so@northfield.example.com")
    noel = User.objects.get(email="analyst@tidewater.example.com")  # on Tidewater's roster
    with _on(calendar.add_business_days(clock.today(), -9)):
        access_roster.add_user(so, contract, full_name=noel.full_name, email=noel.email,
                               harp_id=noel.harp_id)
        grants.grant(so, contract, noel, Service.objects.get(slug="slack"))
    yesterday = clock.today() - datetime.timedelta(days=1)
    with _on(yesterday, hour=settings.SWEEP_HOUR):
        reconciliation.check(yesterday)
