"""Work that must run once the current transaction commits, and only once per transaction."""

from collections.abc import Callable

from django.db import transaction


def once(callback: Callable[[], object]) -> None:
    """Run `callback` after the commit, however many times a transaction asks for it (one
    worker kick for a transaction that queued a hundred emails). Django drops the pending
    callbacks of a rollback, so the pending list is the truth; outside a transaction
    `on_commit` runs it at once."""
    pending = transaction.get_connection().run_on_commit
    if not any(entry[1] is callback for entry in pending):
        transaction.on_commit(callback)
