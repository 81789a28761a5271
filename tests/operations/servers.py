"""Real servers for the operations tests: gunicorn serving Muster in a subprocess, and a
socket that takes connections and never answers (a database that hangs)."""

import os
import re
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from tests.workers import wait_for

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")



def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")


class Gunicorn:
    """Muster under gunicorn on 127.0.0.1, on a port the system picks (pytest-xdist may
    start the same module's server in two workers at once), its log kept in a file."""

    def __init__(self, env: dict[str, str], log_path: Path, *args: str):
        self.port = 0
        self.log_path = log_path
        environment = {k: v for k, v in os.environ.items()
                       if not k.startswith(("DJANGO_", "PYTEST_", "PROMETHEUS_"))}
        environment.update(env)
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen(
                [str(GUNICORN), "muster.wsgi:application", "--bind", "127.0.0.1:0",
                 "--graceful-timeout", "2", "--no-control-socket", *args],
                cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
            )
        # The port opens before the worker has loaded Muster: wait for an answer.
        try:
            if not wait_for(self._answers, 90):  # a loaded CI machine is slow to import
                raise RuntimeError(f"gunicorn did not start: {self.log()[-2000:]}")
        except BaseException:
            self.stop()
            raise

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"gunicorn stopped: {self.log()[-2000:]}")
        if not self.port:
            found = LISTENING.search(self.log())
            if not found:
                return False
            self.port = int(found.group(1))
        if not port_open(self.port):
            return False
        try:
            return self.get("/healthz", timeout=10)[0] == 200
        except OSError:  # not listening yet, or still loading
            return False

    def get(self, path: str, headers: dict | None = None, timeout: float = 15):
        """(status, headers, body) of a GET, errors included."""
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}",
                                         headers=headers or {})
        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(request, timeout=timeout) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # gunicorn's quick shutdown
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Silent:
    """A listening socket that never accepts: a client's connection opens (the kernel
    completes it) and then nothing answers, like a database that hangs."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.port = self.socket.getsockname()[1]

    def close(self) -> None:
        self.socket.close()
