"""The "Next step" column of the contract list and a COR's home, read from the step kept on
the contract's row: what, when, overdue and how many steps are, as before it was stored."""

import datetime
import re

import pytest
from django.urls import reverse

from muster.accounts.models import ContractRole, TeamRole
from muster.contracts.models import Contract
from muster.timeline import services as timeline
from tests.pages import html_of

from ..factories import UserFactory, give_role, make_contract, signed_in, team_member

pytestmark = pytest.mark.django_db
D = datetime.date


def cell(html: str, name: str) -> str:
    """The next-step cell of the contract's row, its tags and spacing dropped."""
    rows = [r for r in re.findall(r"<tr[^>]*>.*?</tr>", html, re.DOTALL) if f">{name}<" in r]
    assert len(rows) == 1, f"{len(rows)} rows name {name}"
    text = re.search(r'data-label="Next step">(.*?)</td>', rows[0], re.DOTALL).group(1)
    return " ".join(re.sub(r"<[^>]+>", " ", text).split())


def test_the_next_step_cell_says_what_when_and_how_many_steps_are_overdue(client, freeze_today):
    freeze_today(D(2026, 11, 24))
    # Estimated award Mon Mar 2, 2026 (no award recorded): notification 60 days before,
    # requirements the day before, the award notice on it, SO/SPOC the day after: 4 late.
    late = make_contract(name="Late", pop_end=D(2027, 6, 30))
    make_contract(name="Soon", estimated_award_date=D(2027, 2, 8))  # notify Thu Dec 10
    make_contract(name="Undated", estimated_award_date=None)
    team = team_member(TeamRole.Role.ONBOARDING_TEAM)
    cor = UserFactory()
    for contract in Contract.objects.all():
        give_role(cor, contract, ContractRole.Role.COR)

    def cells(name):
        signed_in(client, team)
        pages = [html_of(client.get(reverse("contracts:list"), params))
                 for params in ({}, {"sort": "next_due"}, {"overdue": "on"})]
        signed_in(client, cor)
        pages.append(html_of(client.get(reverse("home"))))
        found = {cell(html, name) for html in pages if f">{name}<" in html}
        assert len(found) == 1, found  # every page says the same
        return found.pop()

    assert cells("Late") == ("Notify of contract solicitation due Thu, Jan 1, 2026 — "
                             "overdue (4 steps) COR")
    assert cells("Soon") == "Notify of contract solicitation due Thu, Dec 10, 2026 COR"
    assert cells("Undated") == "No open step"

    for key in ["notify-solicitation", "identify-requirements", "notify-award"]:
        timeline.complete_step(None, late.steps.get(key=key), "Done late")
    assert cells("Late") == ("Contractor names the SO and SPOC due Tue, Mar 3, 2026 — "
                             "overdue "
                             "Contractor")

    timeline.complete_step(None, late.steps.get(key="name-so-spoc"), "Done late")
    assert cells("Late").startswith("Notification of contract closeout due Sat, May 1, 2027 ")
    assert "overdue" not in cells("Late")
