"""A done step keeps the due date it had when it was done; the page says so instead of a
rule that the contract's dates no longer match."""

import datetime

import pytest

from muster.contracts import services as contracts
from muster.timeline.services import complete_step

from ..closeout.test_closeout_steps import timeline_row

pytestmark = pytest.mark.django_db


def test_requirements_identified_before_the_award_show_the_date_due_then(
    client, people, freeze_today
):
    freeze_today(datetime.date(2026, 11, 2))
    mine = people["mine"]
    mine = contracts.update_contract(None, mine, estimated_award_date=datetime.date(2026, 11, 9))
    complete_step(people["cor"], mine.steps.get(key="identify-requirements"),
                  "Needs SAS Viya and Confluence.")
    # The award comes later than estimated: the open award steps follow it.
    mine = contracts.update_contract(None, mine, award_date=datetime.date(2026, 11, 20))

    row = timeline_row(client, people["cor"], mine, "Identify contract requirements")
    assert "Sun, Nov 8, 2026" in row
    assert "The due date when it was done" in row
    assert "Award date − 1 calendar day" not in row
    award = timeline_row(client, people["cor"], mine, "Notify of contract award")
    assert "Fri, Nov 20, 2026" in award and "On the award date" in award
