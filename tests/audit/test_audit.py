"""The audit record: a hash chain, append-only in the ORM, the database and the admin,
checked by `manage.py verify_audit`."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from muster.accounts.models import TeamRole
from muster.audit import listeners
from muster.audit import services as audit
from muster.audit.models import AppendOnlyError, AuditEvent
from muster.catalog.models import Service
from muster.contracts import services as contract_services

from ..factories import UserFactory, make_contract, signed_in, team_member

pytestmark = pytest.mark.django_db
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the append-only trigger is PostgreSQL's"
)


@pytest.fixture
def events():
    """Three events on a contract, by a person and by the system."""
    actor = UserFactory(full_name="Avery Actor", email="avery@example.com")
    contract = make_contract(actor, name="Audited")  # one event: contract.created
    contract_services.update_contract(actor, contract, name="Audited again")
    audit.record(None, "test.system", contract, "The system did something", contract=contract,
                 after={"when": contract.estimated_award_date})
    return list(AuditEvent.objects.order_by("id"))


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def tamper(sql, params=()):
    """Change the table behind the application's back, as a database superuser could (on
    PostgreSQL by switching triggers off for the rest of the test's transaction)."""
    if connection.vendor == "postgresql":
        raw("SET LOCAL session_replication_role = replica")
    raw(sql, params)
    if connection.vendor == "postgresql":
        raw("SET LOCAL session_replication_role = origin")


def verify() -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("verify_audit", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# --- The chain ----------------------------------------------------------------------------


def test_each_record_chains_to_the_previous_one(events):
    assert len(events) == 3
    assert events[0].prev_hash == audit.GENESIS_HASH
    for previous, event in zip(events, events[1:], strict=False):
        assert event.prev_hash == previous.hash
    assert len({e.hash for e in events}) == 3
    assert all(len(e.hash) == 64 for e in events)


def test_records_say_who_what_and_before_after(events):
    created, updated, system = events
    assert created.action == "contract.created"
    assert updated.actor.email == "avery@example.com"
    assert updated.actor_label == "Avery Actor <avery@example.com>"
    assert updated.before == {"name": "Audited"}
    assert updated.after == {"name": "Audited again"}
    assert system.actor is None
    assert system.actor_label == "Muster (system)"
    assert system.after == {"when": "2026-03-02"}  # stored as the JSON that was hashed


def test_an_intact_chain_verifies(events):
    assert audit.verify_chain() == []
    out, err = verify()
    assert "The audit record is intact." in out
    assert err == ""


def test_many_records_written_at_once_chain_like_records_written_one_by_one(events,
                                                                          monkeypatch):
    """record_many (a CSV import's thousands of events) hashes without an instance per
    event: the rows it writes verify, continue the chain, and reach the listeners as the
    saved rows, in order."""
    actor, contract = events[0].actor, events[0].contract
    heard = []
    monkeypatch.setattr(listeners, "_listeners", [heard.append])

    audit.record_many(actor, contract, [
        ("test.many", "contracts.contract", contract.pk, str(contract), f"Event {n}",
         {"n": n, "when": contract.estimated_award_date, "nested": [{"a": n}]})
        for n in range(3)
    ])

    written = list(AuditEvent.objects.filter(action="test.many").order_by("id"))
    assert [e.summary for e in written] == ["Event 0", "Event 1", "Event 2"]
    assert written[0].prev_hash == events[-1].hash
    assert [e.prev_hash for e in written[1:]] == [e.hash for e in written[:-1]]
    assert all(e.content_digest() == e.hash for e in written)
    assert written[2].after["when"] == contract.estimated_award_date.isoformat()
    assert [(e.pk, e.hash, e.after, e._state.adding) for e in heard] == [
        (e.pk, e.hash, e.after, False) for e in written]
    out, _ = verify()
    assert "The audit record is intact." in out


def test_an_empty_record_is_called_empty_not_intact():
    assert AuditEvent.objects.count() == 0
    out, err = verify()
    assert "The audit record is empty." in out
    assert "intact" not in out
    assert "No checkpoint to check against" in out


def test_an_edit_behind_the_applications_back_is_found(events):
    target = events[1]
    tamper("UPDATE audit_auditevent SET summary = %s WHERE id = %s", ["x", target.pk])

    assert [e.pk for e in audit.verify_chain()] == [target.pk]
    err = io.StringIO()
    with pytest.raises(CommandError, match=r"1 audit record\(s\) fail verification"):
        call_command("verify_audit", stdout=io.StringIO(), stderr=err)
    assert f"Record {target.pk} " in err.getvalue()
    assert f"Record {events[0].pk} " not in err.getvalue()


def test_an_edit_of_before_or_after_is_found(events):
    target = events[1]
    tamper("UPDATE audit_auditevent SET after = %s WHERE id = %s",
           ['{"name": "Something else"}', target.pk])
    assert [e.pk for e in audit.verify_chain()] == [target.pk]


def test_a_deleted_record_is_found(events):
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    # The record after the gap no longer chains to its predecessor.
    assert [e.pk for e in audit.verify_chain()] == [events[2].pk]
    with pytest.raises(CommandError):
        verify()


# --- The database refuses changes (PostgreSQL) --------------------------------------------


@on_postgresql
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET summary = 'x' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ],
)
def test_postgresql_refuses_update_and_delete(events, sql):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw(sql, [events[0].pk])
    assert AuditEvent.objects.count() == 3
    assert audit.verify_chain() == []


# --- The ORM refuses changes --------------------------------------------------------------


def test_saving_an_existing_record_is_refused(events):
    event = AuditEvent.objects.get(pk=events[0].pk)
    event.summary = "rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).summary == events[0].summary


@pytest.mark.parametrize(
    "change",
    [
        lambda: AuditEvent.objects.get(pk=AuditEvent.objects.first().pk).delete(),
        lambda: AuditEvent.objects.update(summary="x"),
        lambda: AuditEvent.objects.filter(action="contract.created").update(summary="x"),
        lambda: AuditEvent.objects.all().delete(),
        lambda: AuditEvent.objects.filter(actor__isnull=True).delete(),
        pytest.param(
            lambda: AuditEvent.objects.bulk_update(list(AuditEvent.objects.all()), ["summary"]),
        ),
        lambda: AuditEvent.objects.first().contract.audit_events.all().delete(),
    ],
    ids=["delete", "update", "filtered-update", "delete-all", "filtered-delete",
         "bulk-update", "related-delete"],
)
def test_changing_or_removing_records_through_the_orm_is_refused(events, change):
    with pytest.raises(AppendOnlyError):
        change()
    assert list(AuditEvent.objects.order_by("id").values_list("summary", flat=True)) == [
        e.summary for e in events]
    assert audit.verify_chain() == []


# --- The admin ----------------------------------------------------------------------------


@pytest.fixture
def superuser(client):
    user = team_member(TeamRole.Role.ADMINISTRATOR, full_name="Root Admin",
                       is_staff=True, is_superuser=True)
    signed_in(client, user)
    return user


def test_the_admin_lists_audit_records(client, superuser, events):
    response = client.get(reverse("admin:audit_auditevent_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Changed name" in html
    assert "The system did something" in html
    assert "Add audit event" not in html
    assert 'name="_selected_action"' not in html  # no bulk actions, so no bulk delete


def test_the_admin_cannot_add_change_or_delete_records(client, superuser, events):
    event = events[1]
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    assert client.post(reverse("admin:audit_auditevent_add"), {"summary": "x"}).status_code == 403

    change_url = reverse("admin:audit_auditevent_change", args=[event.pk])
    page = client.get(change_url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Changed name" in html
    assert 'name="_save"' not in html
    assert 'name="_continue"' not in html
    assert "deletelink" not in html
    assert client.post(change_url, {"summary": "rewritten"}).status_code == 403

    delete_url = reverse("admin:audit_auditevent_delete", args=[event.pk])
    assert client.get(delete_url).status_code == 403
    assert client.post(delete_url, {"post": "yes"}).status_code == 403

    assert AuditEvent.objects.get(pk=event.pk).summary == event.summary
    assert AuditEvent.objects.count() == 3


def test_saving_a_service_in_the_admin_is_recorded(client, superuser):
    service = Service.objects.get(slug="slack")
    data = {
        "slug": service.slug,
        "name": service.name,
        "description": "Team chat for contract staff.",
        "eua_job_code": "SLACK_User",
        "help_text": service.help_text,
        "is_active": "on",
        "order": service.order,
        "lead_roles-TOTAL_FORMS": "0",
        "lead_roles-INITIAL_FORMS": "0",
        "lead_roles-MIN_NUM_FORMS": "0",
        "lead_roles-MAX_NUM_FORMS": "1000",
    }
    if service.requires_dua:
        data["requires_dua"] = "on"
    response = client.post(reverse("admin:catalog_service_change", args=[service.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]

    service.refresh_from_db()
    assert service.eua_job_code == "SLACK_User"
    event = AuditEvent.objects.get(action="admin.change")
    assert event.actor == superuser
    assert event.object_type == "catalog.service"
    assert event.object_id == str(service.pk)
    assert event.before["eua_job_code"] == ""
    assert event.after["eua_job_code"] == "SLACK_User"
    assert event.after["description"] == "Team chat for contract staff."
    assert set(event.before) == set(event.after) == {"eua_job_code", "description"}
    assert "in administration" in event.summary
    assert audit.verify_chain() == []


def test_a_person_with_a_long_name_and_email_can_still_act():
    name = "Maria Fernanda de los Angeles Santisima Trinidad Gutierrez-Villanueva y Castellanos"
    email = ("maria.fernanda.delosangeles.gutierrez-villanueva.castellanos"
             "@quality-improvement-analytics.contractor-systems.example.com")
    actor = UserFactory(full_name=name, email=email)
    assert len(name) + len(email) + 3 > 200  # both within their own fields' limits
    contract = make_contract(actor, name="Long names")
    event = AuditEvent.objects.get(action="contract.created", contract=contract)
    assert event.actor == actor
    assert audit.verify_chain() == []


# --- several events in one transaction (a sweep's action) --------------------------------


def test_events_of_one_transaction_chain_even_when_a_savepoint_rolls_back(db):
    """The head is read once per transaction; an event undone with its savepoint is not
    what the next one chains to."""
    person = UserFactory()
    with transaction.atomic():
        first = audit.record(None, "test.first", person, "First")
        with pytest.raises(RuntimeError), transaction.atomic():
            audit.record(None, "test.undone", person, "Undone")
            raise RuntimeError
        second = audit.record(None, "test.second", person, "Second")
        audit.record_many(None, make_contract(), [
            ("test.many", "accounts.user", person.pk, str(person), "Many", {})])
        third = audit.record(None, "test.third", person, "Third")
    assert second.prev_hash == first.hash
    assert not AuditEvent.objects.filter(action="test.undone").exists()
    assert third.prev_hash == AuditEvent.objects.get(action="test.many").hash
    assert audit.verify_chain() == []


def test_two_records_cannot_carry_the_same_hash(events):
    """The hash stays unique: a row copied with another's hash is refused."""
    first = events[0]
    with pytest.raises(DatabaseError), transaction.atomic():
        raw("INSERT INTO audit_auditevent (at, actor_label, action, summary, object_type, "
            "object_id, object_repr, before, after, request_id, channel, prev_hash, hash) "
            "SELECT at, actor_label, action, summary, object_type, object_id, object_repr, "
            "before, after, request_id, channel, prev_hash, hash FROM audit_auditevent "
            "WHERE id = %s", [first.pk])


@on_postgresql
def test_each_append_updates_only_the_indexes_the_record_is_read_by():
    """Every event writes an entry in each index: none that no query uses (a LIKE on the
    hash or the request id) and none that another index already covers (the contract
    alone, covered by contract and id)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'audit_auditevent'")
        columns = sorted(d.split(" USING btree ", 1)[1] for (d,) in cursor.fetchall())
    assert columns == [
        "(action varchar_pattern_ops)",  # action__startswith on a contract's events
        "(action)",
        "(actor_id)",  # protects users from deletion
        "(at)",
        "(contract_id, id DESC)",
        "(hash)",  # unique
        "(id)",
        "(object_type, object_id)",
        "(request_id)",
    ]


def test_a_batch_writes_the_very_rows_single_appends_would_write(events, freeze_today):
    """Events on several contracts, each with its own before and after, appended at once
    (a sweep's pauses) or one by one, at the same moment after the same head: the same
    rows, hashes included."""
    freeze_today()
    actor = events[0].actor
    first = events[0].contract
    second = make_contract(actor, name="Second")
    wanted = [(first, {"stage": "a"}, {"stage": "b"}), (second, {}, {"n": 1}),
              (second, {"status": "active"}, {"status": "paused"})]
    columns = ("action", "object_type", "object_id", "object_repr", "contract_id", "summary",
               "before", "after", "actor_label", "at", "prev_hash", "hash")

    def written(append) -> list[tuple]:
        start = AuditEvent.objects.order_by("-id").first().pk
        with transaction.atomic():
            append()
            rows = list(AuditEvent.objects.filter(pk__gt=start).order_by("id")
                        .values_list(*columns))
            transaction.set_rollback(True)
        return rows

    one_by_one = written(lambda: [
        audit.record(actor, "test.batch", contract, f"On {contract}", contract=contract,
                     before=before, after=after) for contract, before, after in wanted])
    at_once = written(lambda: audit.record_many(actor, None, [
        audit.entry("test.batch", contract, f"On {contract}", contract=contract,
                    before=before, after=after) for contract, before, after in wanted]))

    assert len(at_once) == 3
    assert at_once == one_by_one
