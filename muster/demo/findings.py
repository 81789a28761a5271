"""The demo's reconciliation findings (issue 16).

The story already leaves two: Tidewater's analysts use Confluence (EUA job code
CONFL_User) while their EUA background checks are not started. Here, Reese Kowalczyk (the
SO of Payment Model Evaluation, Northfield) adds Noel Trevino, already on Tidewater's
roster, to Northfield's (a person on two contractors' rosters), and asks for their Slack
access nine business days ago: nobody confirmed it (more than five business days).
"""

from muster import clock
from muster.access import grants
from muster.access import roster as access_roster
from muster.accounts.models import User
from muster.catalog.models import Service


def show(created: dict) -> None:
    from .data import DOMAIN, ROSTER, _on, _workday  # data.py imports this module

    contract = created["active-2"]
    so = User.objects.get(email=f"so@northfield.{DOMAIN}")
    name, email, harp_id = ROSTER[0]  # Noel Trevino, on Tidewater's roster
    with _on(_workday(clock.today(), 9)):
        access_roster.add_user(so, contract, full_name=name, email=email, harp_id=harp_id)
        grants.grant(so, contract, User.objects.get(email=email),
                     Service.objects.get(slug="slack"))
