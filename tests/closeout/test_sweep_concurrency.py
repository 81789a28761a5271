"""Two sweeps at once (cron and the worker, or two servers) do every thing once.

Two real processes run `manage.py sweep --date ...` at the same moment against the test
database; then two threads race with the sweep's own advisory lock taken away, so only the
row locks and the outbox's unique keys stand between them and a double. Both need real
concurrent transactions: PostgreSQL only.
"""

import datetime
import email
import os
import subprocess
import sys
import threading
from contextlib import nullcontext
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count

from muster.access.models import AccessGrant, GrantStatus
from muster.accounts.models import ContractRole
from muster.audit.models import AuditEvent
from muster.closeout import sweep
from muster.closeout.models import Closeout, SweepRun
from muster.contracts.models import Contract, Stage
from muster.notifications.models import OutboxEmail

from ..factories import UserFactory, give_role, make_contract
from .test_sweep import NOON, activate, grant, leave_open

ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
pytestmark = [
    pytest.mark.skipif(
        not ON_POSTGRESQL,
        reason="SQLite lets one writer in at a time, so two sweeps cannot race there; run "
        "with DATABASE_URL=postgres://... to test concurrent sweeps.",
    ),
    # Other processes must see the fixtures, so they are committed; the seeded catalog and
    # process template come back from the serialized copy after the flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
ROOT = Path(__file__).resolve().parents[2]
DAY = datetime.date(2027, 3, 8)  # a Monday
EXPECTED = {"closeout_notice": 3, "access_removed": 3, "step_reminder": 3, "step_overdue": 3}


@pytest.fixture
def due_work(people):
    """Work of every kind due on DAY: 3 notices, 3 ends (2 grants each), 3 reminders and
    3 escalations; the last sweep ran the day before."""
    SweepRun.objects.create(day=DAY - datetime.timedelta(days=1), started_at=NOON,
                            finished_at=NOON)
    cor, so = people["cor"], people["so"]
    ending, grants = [], []
    for n in range(3):
        noticed = activate(make_contract(
            name=f"Notice {n}", pop_start=datetime.date(2026, 6, 1),
            pop_end=DAY + datetime.timedelta(days=60 - n)))
        ended = activate(make_contract(
            name=f"Ends {n}", pop_start=datetime.date(2026, 3, 1), pop_end=DAY))
        steps = make_contract(name=f"Steps {n}", estimated_award_date=DAY)
        for contract in (noticed, ended, steps):
            give_role(cor, contract, ContractRole.Role.COR)
            leave_open(contract)
        give_role(so, ended, ContractRole.Role.SO)
        for _ in range(2):
            user = UserFactory()
            give_role(user, ended, ContractRole.Role.CONTRACTOR_USER)
            grants.append(grant(ended, user, "sas-viya"))
        leave_open(steps, submit_intake=DAY + datetime.timedelta(days=1),
                   notify_award=DAY - datetime.timedelta(days=1))
        ending.append(ended)
    leave_open(people["mine"])
    leave_open(people["other"])
    return {"ending": ending, "grants": grants}


def assert_each_thing_done_once(due_work):
    keys = OutboxEmail.objects.values("key").annotate(n=Count("pk")).filter(n__gt=1)
    assert list(keys) == []
    by_template = dict(
        OutboxEmail.objects.values_list("template").annotate(n=Count("pk")).order_by()
    )
    assert by_template == EXPECTED
    for g in due_work["grants"]:
        assert AccessGrant.objects.get(pk=g.pk).status == GrantStatus.REVOKED
        assert AuditEvent.objects.filter(action="access.revoked",
                                         object_id=str(g.pk)).count() == 1
    for contract in due_work["ending"]:
        assert Contract.objects.get(pk=contract.pk).stage == Stage.CLOSED
        assert AuditEvent.objects.filter(action="contract.close", contract=contract).count() == 1
        assert Closeout.objects.filter(contract=contract).count() == 1
    assert AuditEvent.objects.filter(action="closeout.notice_sent").count() == 3


def test_two_sweep_processes_at_once_do_everything_once(due_work, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(
            **{k: connection.settings_dict[k] or "" for k in ("USER", "HOST", "PORT", "NAME")}
        ),
        "MUSTER_VAR_DIR": str(tmp_path),  # the file mail backend writes to tmp_path/outbox
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    env.pop("EMAIL_HOST", None)
    # DAY is after today, and these processes' clocks are not frozen: the flag says it is meant.
    command = [sys.executable, "manage.py", "sweep", "--date", DAY.isoformat(),
               "--act-on-future-date"]
    runs = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=120) for run in runs]
    for run, (_out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err

    assert_each_thing_done_once(due_work)
    assert SweepRun.objects.filter(day=DAY, finished_at__isnull=False).count() == 2
    # Every email was sent, and sent once, between the two processes.
    sent_keys = []
    for path in (tmp_path / "outbox").glob("*.log"):
        for part in path.read_text().split("\n" + "-" * 79 + "\n"):
            if part.strip():
                sent_keys.append(email.message_from_string(part)["X-Muster-Key"])
    assert sorted(sent_keys) == sorted(OutboxEmail.objects.values_list("key", flat=True))
    assert not OutboxEmail.objects.exclude(status=OutboxEmail.Status.SENT).exists()


def test_without_the_sweep_lock_row_locks_and_unique_keys_still_prevent_doubles(
    due_work, monkeypatch, mailoutbox
):
    monkeypatch.setattr(sweep, "_one_sweep_at_a_time", nullcontext)
    barrier, errors = threading.Barrier(2), []

    def one_sweep():
        try:
            barrier.wait(timeout=10)
            sweep.run(DAY)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=one_sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a sweep is stuck (deadlock?)"
    assert errors == []
    assert_each_thing_done_once(due_work)
    assert sorted(m.extra_headers["X-Muster-Key"] for m in mailoutbox) == sorted(
        OutboxEmail.objects.values_list("key", flat=True))
