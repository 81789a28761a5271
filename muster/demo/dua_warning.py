"""The demo's DUA inside its warning window (issue 16).

Readmission Measures Analytics (Juniper Ridge) holds a DUA expiring in 25 days. Some weeks
ago its SO gave two of the team SAS Viya, which needs that DUA; five days ago, when the DUA
came within the largest warning window, the sweep warned the SO and COR (the outbox has the
email, the contract's history the event), and the contract page shows the warning until a
renewed DUA is uploaded.
"""

import datetime

from django.conf import settings

from muster import clock
from muster.access import dua_warnings, grants
from muster.access import roster as access_roster
from muster.accounts.models import ContractRole, User
from muster.catalog.models import Service
from muster.contracts.models import Contract

from .story import DOMAIN
from .story import on as _on
from .story import workday as _workday

CONTRACT = "history-readmission"


def show(created: dict) -> None:
    contract = Contract.objects.get(pk=created[CONTRACT].pk)
    today = clock.today()
    so = contract.roles.get(role=ContractRole.Role.SO).user
    team = User.objects.get(email=f"team@{DOMAIN}")
    sas_viya = Service.objects.get(slug="sas-viya")
    # Two of Juniper's people who also run the analyses (the POC and the SPOC, so the
    # demo's sign-in list stays the same).
    with _on(_workday(today, 30)):
        for role in (ContractRole.Role.POC, ContractRole.Role.SPOC):
            person = contract.roles.get(role=role).user
            access_roster.add_user(so, contract, full_name=person.full_name,
                                   email=person.email, harp_id=person.harp_id)
            grants.confirm(team, grants.grant(so, contract, person, sas_viya))
    dua = contract.duas.filter(invalidated_at__isnull=True).order_by("-expiry_date").first()
    if dua is None or not dua_warnings.thresholds():
        return
    # The daily sweep on the day the DUA entered the largest window sent the warning.
    entered = dua.expiry_date - datetime.timedelta(days=dua_warnings.thresholds()[0])
    with _on(min(entered, today), hour=settings.SWEEP_HOUR) as day:
        dua_warnings.send_due(day, day - datetime.timedelta(days=1))
    created[CONTRACT] = Contract.objects.get(pk=contract.pk)
