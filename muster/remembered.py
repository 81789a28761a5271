"""What a process works out once and keeps, keyed by everything the answer depends on: the
header's links per set of roles, the conversation's empty form per set of people. Bounded,
the oldest dropped first."""

from collections.abc import Callable, Hashable
from contextlib import suppress


class Remembered[T]:
    def __init__(self, most: int):
        self.most = most
        self._kept: dict[Hashable, T] = {}

    def get(self, key: Hashable, work_out: Callable[[], T]) -> T:
        """The answer kept for `key`, or work_out()'s, then kept. Two threads may both work
        it out; either answer is right."""
        found = self._kept.get(key)
        if found is None:
            if len(self._kept) >= self.most:
                # Another thread may have dropped it (or changed the dict) meanwhile.
                with suppress(KeyError, StopIteration, RuntimeError):
                    del self._kept[next(iter(self._kept))]
            found = self._kept[key] = work_out()
        return found

    def clear(self) -> None:
        self._kept.clear()
