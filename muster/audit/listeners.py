"""Code above the audit record that acts on each new event in the event's own transaction.

Every change writes its audit event inside the change's transaction, so a listener that
writes rows (the webhooks' deliveries, say) commits or rolls back with the change itself.
Upper apps register in their `ready()`; the audit record imports none of them.
"""

from collections.abc import Callable

_listeners: list[Callable] = []


def register(listener: Callable) -> Callable:
    """Call `listener(event)` after each audit event is written (usable as a decorator)."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def notify(event) -> None:
    for listener in _listeners:
        listener(event)
