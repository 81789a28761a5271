"""muster.bulk: many rows written from plain tuples (the CSV import's way), as bulk_create
would write them: ids in order, the other columns' defaults, JSON and dates stored as the
ORM reads them back, on SQLite and PostgreSQL."""

import datetime

import pytest

from muster import bulk
from muster.access.models import AccessGrant
from muster.notifications.models import OutboxEmail

pytestmark = pytest.mark.django_db
AT = datetime.datetime(2026, 11, 24, 12, 0, tzinfo=datetime.UTC)


def test_rows_are_written_in_order_with_their_ids_and_defaults():
    OutboxEmail.objects.create(key="before", template="t", subject="s", body="b")
    rows = [
        (f"key-{n}", "t", f"Subject {n}", "Body", [f"p{n}@example.com"], AT, n % 2 == 0)
        for n in range(5)
    ]

    ids = bulk.insert(
        OutboxEmail,
        ("key", "template", "subject", "body", "to", "created_at", "confidential"),
        rows,
    )

    stored = {e.pk: e for e in OutboxEmail.objects.exclude(key="before")}
    assert sorted(stored) == ids and len(set(ids)) == 5
    assert min(ids) > OutboxEmail.objects.get(key="before").pk
    for pk, row in zip(ids, rows, strict=True):
        email = stored[pk]
        assert (email.key, email.subject, email.to, email.created_at, email.confidential) == (
            row[0],
            row[2],
            row[4],
            AT,
            row[6],
        )
        # Left out: each column's default, as bulk_create would have written it.
        assert (email.status, email.attempts, email.cc, email.attachments, email.sent_at) == (
            OutboxEmail.Status.PENDING,
            0,
            [],
            [],
            None,
        )


def test_nothing_to_write_writes_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert bulk.insert(OutboxEmail, ("key",), []) == []


def test_a_column_that_stamps_itself_on_save_must_be_given():
    with pytest.raises(ValueError, match="updated_at sets itself on save"):
        bulk.insert(
            AccessGrant,
            ("contract_id", "user_id", "service_id", "requested_by_id", "requested_at"),
            [(1, 1, 1, 1, AT)],
        )


def test_two_thousand_rows_and_more_go_in_batches_and_keep_their_order():
    rows = [(f"many-{n}", "t", "s", "b", AT) for n in range(2500)]

    ids = bulk.insert(OutboxEmail, ("key", "template", "subject", "body", "created_at"), rows)

    assert ids == sorted(ids)
    keys = dict(OutboxEmail.objects.values_list("pk", "key"))
    assert [keys[pk] for pk in ids] == [row[0] for row in rows]
