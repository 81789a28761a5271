"""Muster scaled out on this machine: HAProxy in front of two gunicorn instances, two
background workers, one PostgreSQL database, all on 127.0.0.1.

    browser ──> HAProxy :8750 ──round robin──> gunicorn app-a :8751 ─┐
                 (health checks,               gunicorn app-b :8752 ─┼──> PostgreSQL
                  X-Forwarded-For/-Proto,      worker-1, worker-2 ───┘    (sessions, tasks,
                  X-Served-By on answers)      (emails, daily sweep)       outbox, everything)

Used two ways:
- tests/scaleout/test_scaleout.py starts it around the browser walk of a contract's life
  (`.venv/bin/pytest -m scaleout tests/scaleout`, on PostgreSQL);
- a person starts the same thing by hand for a look, on a PostgreSQL database of theirs:

      DATABASE_URL=postgres://postgres@127.0.0.1:5432/muster_look \\
          .venv/bin/python -m tests.scaleout.topology up

  It migrates that database, loads the demo data if it is empty, prints the balancer's URL
  (and HAProxy's statistics page) and runs until Ctrl-C, then stops every process.

Every process runs in a process group of its own and is stopped (TERM, then KILL) when the
topology stops, on failure too. Production settings throughout (MUSTER_ENV=production,
generated keys); static files are collected once per content into a cache folder
(MUSTER_SCALEOUT_CACHE, default ~/.cache/muster/scaleout-static), since WhiteNoise's
compression of USWDS's files takes about 30 seconds.
"""

import argparse
import contextlib
import ctypes
import hashlib
import os
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
HAPROXY = os.environ.get("MUSTER_HAPROXY", "/usr/sbin/haproxy")
HOW_TO_GET_HAPROXY = (
    f"the scale-out topology needs HAProxy at {HAPROXY}: `apt-get install -y haproxy` "
    "(or set MUSTER_HAPROXY to its binary)"
)

# What the balancer asks each instance before sending it people: the process answers.
HEALTH_CHECK_PATH = "/healthz"
# How long every answer through the balancer must be a 200 before the topology counts as up.
STEADY_SECONDS = 3.0
# How each worker starts, as `make worker` does: `manage.py worker` schedules the daily
# sweep itself, then works, with a heartbeat. SCHEDULE_COMMAND: a step before it, if any.
SCHEDULE_COMMAND: list[str] | None = None
WORKER_COMMAND = ["manage.py", "worker"]
INSTANCES = ("app-a", "app-b")
WORKERS = ("worker-1", "worker-2")
GUNICORN_WORKERS = 2  # per instance: this machine has two cores
# HAProxy connects to the instances from this loopback address, so the instances can tell
# the balancer (REMOTE_ADDR) from the person (X-Forwarded-For, 127.0.0.1).
BALANCER_SOURCE = "127.0.0.2"
SERVED_BY = "X-Served-By"
HEALTH_CHECK_AGENT = "haproxy-health-check"
PROBE_AGENT = "muster-scaleout-probe"  # this module's own readiness requests
# gunicorn's access log: who asked (the balancer), for whom (X-Forwarded-For), over what
# (X-Forwarded-Proto), what, the answer, the browser, and how long it took (microseconds).
ACCESS_LOG_FORMAT = (
    '%(h)s "%({x-forwarded-for}i)s" "%({x-forwarded-proto}i)s" %(t)s "%(r)s" %(s)s %(b)s '
    '"%(a)s" %(D)s'
)
READY_SECONDS = 90
STOP_SECONDS = 10


class TopologyError(RuntimeError):
    """The topology could not start; says which process and ends with its log."""


@dataclass
class Ports:
    balancer: int
    instances: dict[str, int]
    stats: int

    @classmethod
    def from_base(cls, base: int) -> "Ports":
        return cls(balancer=base,
                   instances={name: base + 1 + i for i, name in enumerate(INSTANCES)},
                   stats=base + 1 + len(INSTANCES))


def haproxy_config(ports: Ports, health_check_path: str = HEALTH_CHECK_PATH) -> str:
    """Round robin, no stickiness (sessions live in the database); health checks; the
    forwarded headers a real balancer sets; each answer names the instance that gave it."""
    check_headers = f"hdr Host 127.0.0.1 hdr User-Agent {HEALTH_CHECK_AGENT}"
    servers = "\n".join(
        f"    server {name} 127.0.0.1:{port} check inter 1s fall 2 rise 1"
        for name, port in ports.instances.items()
    )
    return f"""\
global
    log stdout format raw local0
    maxconn 512

defaults
    mode http
    log global
    option httplog
    option forwardfor
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-request 10s

frontend muster
    bind 127.0.0.1:{ports.balancer}
    http-request set-header X-Forwarded-Proto https if {{ ssl_fc }}
    http-request set-header X-Forwarded-Proto http if !{{ ssl_fc }}
    default_backend instances

backend instances
    balance roundrobin
    source {BALANCER_SOURCE}
    option httpchk
    http-check send meth GET uri {health_check_path} ver HTTP/1.1 {check_headers}
    http-check expect status 200
    http-response set-header {SERVED_BY} %[srv_name]
{servers}

listen stats
    bind 127.0.0.1:{ports.stats}
    stats enable
    stats uri /
    stats refresh 5s
"""


def _static_key() -> str:
    """What `collectstatic` would gather (every file Django's finders list: USWDS, htmx,
    the admin's, allauth's, Muster's own), by name and content."""
    import django
    from django.conf import settings

    if not settings.configured:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "muster.settings")
        django.setup()
    from django.contrib.staticfiles import finders

    digest = hashlib.sha256()
    for finder in finders.get_finders():
        for path, storage in sorted(finder.list([]), key=lambda found: found[0]):
            digest.update(path.encode() + b"\0")
            with storage.open(path) as content:
                digest.update(content.read())
    return digest.hexdigest()[:16]


def collected_static(env: dict[str, str]) -> Path:
    """A folder of `collectstatic`'s output under production settings, built once per key."""
    cache = Path(os.environ.get("MUSTER_SCALEOUT_CACHE",
                                Path.home() / ".cache" / "muster" / "scaleout-static"))
    ready = cache / _static_key()
    if (ready / "static" / "staticfiles.json").exists():
        return ready
    cache.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix="building-", dir=cache))
    try:
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
            cwd=BASE_DIR, env={**env, "MUSTER_VAR_DIR": str(building)}, check=True,
            stdout=subprocess.DEVNULL,
        )
        for old in cache.iterdir():  # one collection kept: each is about 100 MB
            if old != building:
                shutil.rmtree(old, ignore_errors=True)
        building.rename(ready)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return ready


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_parent() -> None:
    """Run in each child before it starts: Linux TERMs it if the process that started it
    dies without stopping the topology (a test run killed by a timeout), so nothing is
    left running. Kept across exec; gunicorn's workers follow their master."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def running(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """TERM the whole process group (gunicorn's workers, a shell's child), then KILL
        whatever is left after STOP_SECONDS."""
        for sig, wait in ((signal.SIGTERM, STOP_SECONDS), (signal.SIGKILL, STOP_SECONDS)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, sig)
            try:
                self.popen.wait(wait)
            except subprocess.TimeoutExpired:
                continue
            # The leader is gone; make sure none of its group outlived it.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            return


@dataclass
class Topology:
    """HAProxy, two gunicorn instances and two workers on one PostgreSQL database.

    `clock_file`: the processes follow the test's frozen clock (tests/scaleout/frozen_clock);
    None: the real clock. `env` is added to every process's environment."""

    database_url: str
    email_host: str
    email_port: int
    workdir: Path
    ports: Ports = field(default_factory=lambda: Ports.from_base(8750))
    clock_file: Path | None = None
    env: dict[str, str] = field(default_factory=dict)
    health_check_path: str = HEALTH_CHECK_PATH
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(50))
    audit_checkpoint_key: str = field(default_factory=lambda: secrets.token_urlsafe(40))
    processes: list[Process] = field(default_factory=list)
    started_in: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports.balancer}"

    @property
    def stats_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.stats}/"

    @property
    def media_root(self) -> Path:
        return self.workdir / "media"

    def environment(self) -> dict[str, str]:
        """Production settings, as an operator would set them for every process."""
        inherited = {k: v for k, v in os.environ.items()
                     if not k.startswith(("MUSTER_", "DJANGO_", "EMAIL_", "DATABASE_"))
                     and k not in {"DEBUG", "SECRET_KEY", "AUDIT_CHECKPOINT_KEY",
                                   "ALLOWED_HOSTS", "MEDIA_ROOT"}}
        return {
            **inherited,
            "DJANGO_SETTINGS_MODULE": "muster.settings",
            "MUSTER_ENV": "production",
            "SECRET_KEY": self.secret_key,
            "AUDIT_CHECKPOINT_KEY": self.audit_checkpoint_key,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",  # the balancer listens on plain HTTP here
            "TRUSTED_PROXY_COUNT": "1",  # HAProxy: the person's address is its X-Forwarded-For
            "DATABASE_URL": self.database_url,
            "EMAIL_HOST": self.email_host,
            "EMAIL_PORT": str(self.email_port),
            "MUSTER_BASE_URL": self.url,
            "MUSTER_VAR_DIR": str(self.workdir / "var"),
            "MEDIA_ROOT": str(self.media_root),  # shared by every process, as S3 would be
            "PYTHONUNBUFFERED": "1",
            **({"MUSTER_SCALEOUT_CLOCK": str(self.clock_file)} if self.clock_file else {}),
            **self.env,
        }

    # ------------------------------------------------------------------ start and stop

    def start(self) -> "Topology":
        if not Path(HAPROXY).exists():
            raise TopologyError(HOW_TO_GET_HAPROXY)
        began = time.perf_counter()
        env = self.environment()
        (self.workdir / "logs").mkdir(parents=True, exist_ok=True)
        self.media_root.mkdir(parents=True, exist_ok=True)
        (self.workdir / "var").mkdir(parents=True, exist_ok=True)
        static = collected_static(env) / "static"
        link = self.workdir / "var" / "static"
        if not link.exists():
            link.symlink_to(static, target_is_directory=True)
        try:
            for name, port in self.ports.instances.items():
                self._spawn(name, self._gunicorn(name, port), env)
            for name in WORKERS:
                self._spawn(name, self._worker(), env)
            for name, port in self.ports.instances.items():
                self._wait_until_healthy(name, port)
            config = self.workdir / "haproxy.cfg"
            config.write_text(haproxy_config(self.ports, self.health_check_path))
            subprocess.run([HAPROXY, "-c", "-q", "-f", str(config)], check=True)
            self._spawn("haproxy", [HAPROXY, "-db", "-f", str(config)], env)
            self._wait_until_balanced()
        except BaseException:
            self.stop()
            raise
        self.started_in = time.perf_counter() - began
        return self

    def stop(self) -> None:
        # The balancer first (no new requests), then the instances and workers.
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()

    def __enter__(self) -> "Topology":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _python(self, manage_args: list[str]) -> list[str]:
        if self.clock_file:
            return [sys.executable, "-m", "tests.scaleout.frozen_clock", *manage_args]
        return [sys.executable, *manage_args]

    def _gunicorn(self, name: str, port: int) -> list[str]:
        app = "tests.scaleout.frozen_clock:application" if self.clock_file else \
            "muster.wsgi:application"
        logs = self.workdir / "logs"
        return [
            sys.executable, "-m", "gunicorn", app,
            "--bind", f"127.0.0.1:{port}",
            "--workers", str(GUNICORN_WORKERS),
            "--preload",  # Django loaded once, then forked: starts in half the time
            "--name", f"muster-{name}",
            "--access-logfile", str(logs / f"{name}.access.log"),
            "--access-logformat", ACCESS_LOG_FORMAT,
            "--forwarded-allow-ips", BALANCER_SOURCE,
            "--graceful-timeout", "5",
        ]

    def _worker(self) -> list[str]:
        # One shell per worker, as `make worker` runs: schedule, then work (exec: the
        # worker becomes the process the group's signal reaches).
        work = f"exec {shlex.join(self._python(WORKER_COMMAND))}"
        if SCHEDULE_COMMAND:
            work = f"{shlex.join(self._python(SCHEDULE_COMMAND))} && {work}"
        return ["sh", "-c", work]

    def _spawn(self, name: str, command: list[str], env: dict[str, str]) -> Process:
        log = self.workdir / "logs" / f"{name}.log"
        with log.open("ab") as out:
            popen = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=out,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True, preexec_fn=_die_with_parent)
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def _process(self, name: str) -> Process:
        return next(p for p in self.processes if p.name == name)

    def _check_alive(self) -> None:
        for process in self.processes:
            if not process.running():
                raise TopologyError(f"{process.name} stopped (exit {process.popen.returncode});"
                                    f" its log ({process.log}):\n{process.log_tail()}")

    def _wait_until_healthy(self, name: str, port: int) -> None:
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                if get(f"http://127.0.0.1:{port}{self.health_check_path}").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise TopologyError(f"{name} did not answer {self.health_check_path} within "
                            f"{READY_SECONDS}s; its log:\n{self._process(name).log_tail()}")

    def _wait_until_balanced(self) -> None:
        """Until the balancer has sent requests to every instance."""
        seen: set[str] = set()
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            self._check_alive()
            with contextlib.suppress(OSError):
                answer = get(self.url + self.health_check_path)
                seen.add(answer.headers.get(SERVED_BY.lower(), ""))
            if seen >= set(INSTANCES) and self._balancer_steady():
                return
            time.sleep(0.05)
        raise TopologyError(f"HAProxy never reached both instances (saw {seen}); its log:\n"
                            f"{self._process('haproxy').log_tail()}")

    def _balancer_steady(self) -> bool:
        """Every answer through the balancer a 200 for longer than its window for marking an
        instance down (checks every 1 s, down after 2 failures): an instance slow to answer
        its first checks on a loaded machine is marked down once and answers 503 through the
        balancer, and the walk's first page must not be that 503."""
        steady_until = time.monotonic() + STEADY_SECONDS
        while time.monotonic() < steady_until:
            try:
                if get(self.url + self.health_check_path).status != 200:
                    return False
            except OSError:
                return False
            time.sleep(0.1)
        return True

    # ------------------------------------------------------------------ what happened

    def access_log(self, name: str) -> list[str]:
        """The instance's access log, without the balancer's health checks and this
        module's readiness probes: what people asked."""
        log = self.workdir / "logs" / f"{name}.access.log"
        lines = log.read_text().splitlines() if log.exists() else []
        return [line for line in lines
                if f'"{HEALTH_CHECK_AGENT}"' not in line and f'"{PROBE_AGENT}"' not in line]

    def requests_served(self) -> Counter:
        """Requests each instance answered for people, from its own access log."""
        return Counter({name: len(self.access_log(name)) for name in INSTANCES})


@dataclass
class Answer:
    status: int
    headers: dict[str, str]  # names in lower case (HAProxy sends them so)


def get(url: str, timeout: float = 5) -> Answer:
    """A GET that reports any HTTP status instead of raising on it."""
    request = urllib.request.Request(url, headers={"User-Agent": PROBE_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return Answer(response.status, {k.lower(): v for k, v in response.headers.items()})
    except urllib.error.HTTPError as error:
        return Answer(error.code, {k.lower(): v for k, v in error.headers.items()})


# ---------------------------------------------------------------------- by hand: `up`


def _up(args: argparse.Namespace) -> None:
    database_url = args.database_url or os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL (or --database-url) to a PostgreSQL database, e.g. "
                 "postgres://postgres@127.0.0.1:5432/muster_look: every process shares it.")
    workdir = Path(tempfile.mkdtemp(prefix="muster-scaleout-"))
    ports = Ports.from_base(args.port)
    smtp_port = ports.stats + 1
    topology = Topology(database_url=database_url, email_host="127.0.0.1",
                        email_port=smtp_port, workdir=workdir, ports=ports,
                        env={"MUSTER_MFA_REQUIRED": "0"})  # the demo's printed sign-ins
    env = topology.environment()
    stopping = False

    def stop(*_):
        nonlocal stopping
        if not stopping:
            stopping = True
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    mail = None
    try:
        for step in (["migrate", "--no-input"], ["load_demo"]):
            subprocess.run([sys.executable, "manage.py", *step], cwd=BASE_DIR, env=env,
                           check=True)
        # A real SMTP server that prints every message it receives to its log.
        (workdir / "logs").mkdir(parents=True, exist_ok=True)
        mail = topology._spawn("smtp", [
            sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{smtp_port}",
            "-c", "aiosmtpd.handlers.Debugging", "stdout",
        ], env)
        topology.start()
        print(f"""
Muster, scaled out ({topology.started_in:.1f}s to start):
  balancer        {topology.url}
  HAProxy stats   {topology.stats_url}
  instances       {", ".join(f"{n} :{p}" for n, p in ports.instances.items())}
  workers         {", ".join(WORKERS)}
  database        {database_url}
  mail (SMTP)     127.0.0.1:{smtp_port}, every message in {mail.log}
  logs            {workdir / "logs"}
Each answer names its instance in the {SERVED_BY} header. Ctrl-C stops everything.""",
              flush=True)
        while True:
            time.sleep(1)
            topology._check_alive()
    except KeyboardInterrupt:
        print("\nStopping.", flush=True)
    except (subprocess.CalledProcessError, TopologyError) as error:
        print(f"Could not start: {error}", file=sys.stderr)
        raise SystemExit(1) from None
    finally:
        topology.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.scaleout.topology",
                                     description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start the topology and run until Ctrl-C")
    up.add_argument("--database-url", help="a PostgreSQL database (default: $DATABASE_URL)")
    up.add_argument("--port", type=int, default=8760,
                    help="the balancer's port; the instances, HAProxy's statistics and the "
                         "SMTP server take the next four (default: 8760)")
    _up(parser.parse_args(argv))


if __name__ == "__main__":
    main()
