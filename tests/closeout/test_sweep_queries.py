"""The sweep's cost follows the work due, not its size: its reminders and escalations, and
its DUA warnings, take the same queries for one email as for several (the bench at 100,000
contracts, tests/bench/bench_sweep.py, relies on it)."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from muster.closeout import sweep
from muster.notifications.models import OutboxEmail

from ..factories import give_role, make_contract
from .test_sweep import leave_open

DAY = datetime.date(2027, 3, 8)  # a Monday
DUE = datetime.date(2027, 3, 10)  # in 2 business days
LATE = datetime.date(2027, 3, 5)  # the Friday before: overdue since the last run


def contracts_with_due_steps(people, n: int) -> list:
    made = []
    for i in range(n):
        contract = make_contract(name=f"Due {i}")
        give_role(people["cor"], contract, "cor")
        leave_open(contract, submit_intake=DUE, eligibility_meeting=LATE)
        made.append(contract)
    return made


def queries_of(fn, *args) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        result = fn(*args)
    return result, len(captured)


def test_reminders_and_escalations_cost_the_same_queries_for_one_or_many(people, freeze_today):
    freeze_today(DAY)
    contracts_with_due_steps(people, 1)
    one_reminder = queries_of(sweep.send_reminders, DAY, LATE)
    one_escalation = queries_of(sweep.escalate_overdue, DAY, LATE)
    assert one_reminder[0] == 1 and one_escalation[0] == 1

    contracts_with_due_steps(people, 4)
    more_reminders = queries_of(sweep.send_reminders, DAY, LATE)
    more_escalations = queries_of(sweep.escalate_overdue, DAY, LATE)
    assert more_reminders[0] == 4 and more_escalations[0] == 4  # the first one was sent
    assert more_reminders[1] == one_reminder[1]
    assert more_escalations[1] == one_escalation[1]
    assert OutboxEmail.objects.filter(template="step_reminder").count() == 5
    # Each with its recipients, as one queued by itself.
    email = OutboxEmail.objects.filter(template="step_reminder").last()
    assert sorted(r.address for r in email.recipients.all()) == sorted(email.to + email.cc)
