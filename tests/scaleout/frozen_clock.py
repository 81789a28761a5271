"""The test's frozen clock, shared with the processes it starts (test-only).

The browser walk freezes "today" and moves it by months (tests/conftest.py, freeze_today);
in one process time-machine does that for every thread. Here the pages and the workers run
in other processes, so the test writes the moment to a file (MUSTER_SCALEOUT_CLOCK) and each
process follows it with time-machine, as the test process does:

- an app server: `tests.scaleout.frozen_clock:application` (Muster's own WSGI application)
  reads the file at the start of each request, so a page always sees the test's moment;
- a worker or command: `python -m tests.scaleout.frozen_clock manage.py <command> ...`
  follows the file from a thread, and acknowledges each moment it applied in a file of its
  own (`<clock file>.<pid>`), so the test can wait until every worker has moved.

Never used outside the scale-out test: `python -m tests.scaleout.topology up` (a look by
hand) runs Muster on the real clock.
"""

import datetime
import os
import sys
import threading
from pathlib import Path

import time_machine

CLOCK_ENV = "MUSTER_SCALEOUT_CLOCK"
POLL_SECONDS = 0.02


def write(path: Path, moment: datetime.datetime) -> None:
    """Set the shared moment (atomically: a reader never sees half a line)."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(moment.isoformat())
    partial.replace(path)


def acknowledged(path: Path, moment: datetime.datetime) -> set[int]:
    """The pids of the following processes that have applied `moment`."""
    done = set()
    for ack in path.parent.glob(path.name + ".*"):
        pid = ack.name.rpartition(".")[2]
        if pid.isdigit() and ack.read_text() == moment.isoformat():
            done.add(int(pid))
    return done


class _Follower:
    """Keeps this process's time at the file's moment, standing still (tick=False)."""

    def __init__(self, path: Path):
        self.path = path
        self.lock = threading.Lock()
        self.seen = ""
        self.traveller: time_machine.travel | None = None

    def sync(self) -> None:
        text = self.path.read_text().strip()
        with self.lock:
            if text == self.seen:
                return
            if self.traveller is not None:
                self.traveller.stop()
            self.traveller = time_machine.travel(datetime.datetime.fromisoformat(text),
                                                 tick=False)
            self.traveller.start()
            self.seen = text
        ack = self.path.with_name(f"{self.path.name}.{os.getpid()}")
        ack.write_text(text)

    def follow_in_background(self) -> None:
        self.sync()
        stop = threading.Event()  # never set: the thread ends with the process

        def loop():
            while not stop.wait(POLL_SECONDS):  # time.monotonic: time-machine leaves it be
                self.sync()

        threading.Thread(target=loop, name="frozen-clock", daemon=True).start()


def _follower() -> _Follower:
    return _Follower(Path(os.environ[CLOCK_ENV]))


class _FrozenApplication:
    """Muster's WSGI application, each request at the test's moment."""

    def __init__(self):
        self.follower = _follower()
        self.follower.sync()
        from muster.wsgi import application as muster

        self.muster = muster

    def __call__(self, environ, start_response):
        self.follower.sync()
        return self.muster(environ, start_response)


def __getattr__(name: str):
    # Built on first use (by gunicorn, in each of its workers), never at import.
    if name == "application":
        app = _FrozenApplication()
        globals()["application"] = app
        return app
    raise AttributeError(name)


def main(argv: list[str]) -> None:
    """`python -m tests.scaleout.frozen_clock manage.py <command> [options]`."""
    if len(argv) < 2 or Path(argv[0]).name != "manage.py":
        sys.exit("usage: python -m tests.scaleout.frozen_clock manage.py <command> [options]")
    _follower().follow_in_background()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "muster.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
