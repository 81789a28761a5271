"""The id of the action under way: a web request or one run of a command or task.

Every audit event records it, so the events one action caused can be read together. The
middleware sets it per request, manage.py per command run, and the worker per task
(`apps.AuditConfig.ready`); code that runs with none set (a test calling a command) opens
its own with `scope_if_unset`.
"""

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

MAX_LENGTH = 64
# An id a proxy or client may hand us: letters, digits and . _ : - only, 8 to 64 of them.
# Nothing that could break a log line, a header or a URL.
_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,63}")

_current: ContextVar[str] = ContextVar("muster_action_id", default="")
# Which door the action came through, when not a page: "api" (the REST API), "scim". The
# audit record keeps it, so the history says what came through the API.
_channel: ContextVar[str] = ContextVar("muster_action_channel", default="")
CHANNELS = frozenset({"api", "scim"})


def current() -> str:
    """The id of the action under way, or "" when none was set."""
    return _current.get()


def is_sane(value: str | None) -> bool:
    return value is not None and _SANE.fullmatch(value) is not None


def new_id(prefix: str = "") -> str:
    """A fresh id; a prefix (a command's name, say) tells where it came from."""
    prefix = re.sub(r"[^a-z0-9_]", "", prefix.lower())[:30]
    hex_id = uuid.uuid4().hex
    return f"{prefix}-{hex_id}" if prefix else hex_id


def channel() -> str:
    """The door the action under way came through ("api", "scim"), or "" (a page, a
    command, a task)."""
    return _channel.get()


def set_channel(name: str) -> None:
    """Mark the rest of the action under way (inside `scope`) as come through `name`."""
    if name not in CHANNELS:
        raise ValueError(f"Unknown channel {name!r}")
    _channel.set(name)


@contextmanager
def scope(action_id: str) -> Iterator[str]:
    """Run the block as the action `action_id` (through no channel until one is set)."""
    token = _current.set(action_id[:MAX_LENGTH])
    channel_token = _channel.set("")
    try:
        yield action_id
    finally:
        _channel.reset(channel_token)
        _current.reset(token)


@contextmanager
def scope_if_unset(prefix: str) -> Iterator[str]:
    """Keep the action already under way (a request, a command run); else open one."""
    if current():
        yield current()
        return
    with scope(new_id(prefix)) as action_id:
        yield action_id


def begin(action_id: str):
    """Start an action without a block (signal handlers); give the token to `end`."""
    return _current.set(action_id[:MAX_LENGTH])


def end(token) -> None:
    _current.reset(token)
