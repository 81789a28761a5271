"""Each audit event records the request, command run or task that caused it, so the events
of one action read together (the contract's history links them)."""

import datetime
import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.urls import reverse

from muster.accounts.models import TeamRole
from muster.audit import services as audit
from muster.audit.models import AuditCheckpoint, AuditEvent
from muster.contracts import services as contracts
from muster.contracts.models import Contract

from .. import workers
from ..factories import make_contract, signed_in, team_member

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
HEX_ID = r"[0-9a-f]{32}"


@pytest.fixture
def team(client):
    user = team_member(TeamRole.Role.ONBOARDING_TEAM, full_name="Tess Team")
    signed_in(client, user)
    return user


def edit(client, contract, name, **headers):
    data = {"name": name, "contract_number": contract.contract_number,
            "task_order_number": contract.task_order_number,
            "estimated_award_date": contract.estimated_award_date or "",
            "award_date": contract.award_date or "", "pop_start": contract.pop_start or "",
            "pop_end": contract.pop_end or "", "type_of_work": contract.type_of_work}
    return client.post(reverse("contracts:edit", args=[contract.pk]), data, headers=headers)


def test_events_carry_the_id_of_the_request_that_caused_them(client, team):
    contract = make_contract(team, name="Tracked")
    first = edit(client, contract, "Tracked I")
    second = edit(client, contract, "Tracked II")
    assert first.status_code == second.status_code == 302

    ids = [first["X-Request-ID"], second["X-Request-ID"]]
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    assert ids[0] != ids[1]
    updates = AuditEvent.objects.filter(action="contract.updated").order_by("id")
    assert [e.request_id for e in updates] == ids
    assert audit.verify_chain() == []


@pytest.mark.parametrize("incoming, kept", [
    ("9f1c2a6e-77b0-4c55-9d1e-0c8f2b7d4a11", True),   # a proxy's UUID
    ("req_01HZX3K8Q2.lb-7:443", True),
    ("short", False),                                 # under 8 characters
    ("x" * 65, False),                                # over 64
    ("abc def ghi", False),                           # a space
    ("abcdefgh\u202e", False),                        # a bidirectional override
    ("<script>alert(1)</script>", False),
])
def test_an_incoming_request_id_is_kept_only_when_sane(client, team, incoming, kept):
    contract = make_contract(team, name="Tracked")
    response = edit(client, contract, "Renamed", **{"X-Request-ID": incoming})
    event = AuditEvent.objects.get(action="contract.updated")
    assert event.request_id == response["X-Request-ID"]
    if kept:
        assert event.request_id == incoming
    else:
        assert event.request_id != incoming and len(event.request_id) == 32


def test_the_history_shows_the_events_of_one_action_together(client, team):
    contract = make_contract(team, name="Tracked")
    response = edit(client, contract, "Tracked again")
    request_id = response["X-Request-ID"]
    contracts.update_contract(team, contract, name="Changed outside that request")

    history = reverse("contracts:history", args=[contract.pk])
    html = client.get(history).content.decode()
    assert f'href="?action={request_id}"' in html
    assert "Same action" in html

    one = client.get(history, {"action": request_id}).content.decode()
    assert "Changed name" in one  # the edit's event
    assert "Created contract" not in one  # the factory's, outside any request
    assert f"request or run <code>{request_id}</code>" in one
    assert client.get(history, {"action": "not a sane id!"}).status_code == 200


def test_events_of_one_sweep_run_share_an_id_and_two_runs_differ(freeze_today):
    freeze_today(datetime.date(2027, 1, 5))
    for name in ("Ends A", "Ends B"):
        contract = make_contract(name=name, pop_start=datetime.date(2026, 1, 1),
                                 pop_end=datetime.date(2027, 1, 4))
        for step in (Contract.award, Contract.start_onboarding, Contract.activate):
            contract = contracts.change_stage(None, contract, step)
    before = AuditEvent.objects.count()
    call_command("sweep", stdout=io.StringIO())
    first_run = list(AuditEvent.objects.filter(pk__gt=AuditEvent.objects.order_by("id")[
        before - 1].pk).values_list("request_id", flat=True))
    assert len(first_run) >= 2
    assert len(set(first_run)) == 1 and first_run[0].startswith("sweep-")

    call_command("sweep", stdout=io.StringIO())
    runs = list(AuditCheckpoint.objects.order_by("number").values_list("request_id", flat=True))
    assert runs[0] == first_run[0]
    assert runs[1].startswith("sweep-") and runs[1] != runs[0]


def test_a_task_run_by_the_worker_has_its_own_id(monkeypatch):
    from muster.closeout.tasks import daily_sweep

    # Real time: the run it schedules for tomorrow stays queued.
    daily_sweep.enqueue()
    workers.run_due_tasks(monkeypatch)
    checkpoint = AuditCheckpoint.objects.get()
    assert checkpoint.request_id.startswith("task-")


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="a second process needs a database it can see: PostgreSQL's")
# Serialized like every transactional test here: a plain one's flush re-creates content
# types under new ids, and the next serialized test's restore then collides with them.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_each_manage_py_run_has_its_own_id_and_logs_its_checkpoint():
    env = {**os.environ, "DATABASE_URL": "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(
        **{k: connection.settings_dict[k] or "" for k in ("USER", "HOST", "PORT", "NAME")})}
    tokens = []
    for _ in range(2):
        run = subprocess.run([sys.executable, "manage.py", "audit_checkpoint"], cwd=ROOT,
                             env=env, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        tokens.append(run.stdout.strip().splitlines()[-1])
        assert f"): {tokens[-1]}" in run.stderr  # the log line (console handler)
    ids = list(AuditCheckpoint.objects.order_by("number").values_list("request_id", flat=True))
    assert [i.split("-")[0] for i in ids] == ["audit_checkpoint", "audit_checkpoint"]
    assert ids[0] != ids[1]


def test_rows_written_before_request_ids_still_verify_and_a_changed_id_is_found(team):
    contract = make_contract(team, name="Old")
    old = AuditEvent.objects.get()
    assert old.request_id == ""
    # The hash of a row without a request id is the one computed before ids existed.
    payload = {"at": old.at.isoformat(), "actor": old.actor_id, "actor_label": old.actor_label,
               "action": old.action, "summary": old.summary, "object_type": old.object_type,
               "object_id": old.object_id, "object_repr": old.object_repr,
               "contract": old.contract_id, "before": old.before, "after": old.after}
    canonical = json.dumps(payload, sort_keys=True, cls=DjangoJSONEncoder, default=str)
    assert old.hash == hashlib.sha256((old.prev_hash + canonical).encode()).hexdigest()

    from muster.audit import correlation

    with correlation.scope("sweep-0123456789abcdef"):
        contracts.update_contract(team, contract, name="New")
    new = AuditEvent.objects.get(action="contract.updated")
    assert new.request_id == "sweep-0123456789abcdef"
    assert audit.verify_chain() == []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("UPDATE audit_auditevent SET request_id = 'someone-else1' WHERE id = %s",
                       [new.pk])
    assert [e.pk for e in audit.verify_chain()] == [new.pk]
