"""Metrics under gunicorn with two workers: whichever worker answers a scrape, it counts
every worker's requests (prometheus-client's multiprocess mode, PROMETHEUS_MULTIPROC_DIR,
and the hooks in muster/operations/gunicorn_hooks.py), also after a worker dies. The
database is down here: the scrape still answers, saying so."""

import os
import shutil
import signal
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from .servers import Gunicorn

TOKEN = "scrape-token-" + "y" * 30


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("multiproc")
    samples = folder / "prometheus"
    samples.mkdir()
    (samples / "counter_999999.db").write_bytes(b"stale")  # a previous run's: removed
    config = folder / "gunicorn.conf.py"
    config.write_text("from muster.operations.gunicorn_hooks import child_exit, on_starting"
                      "  # noqa: F401\n")
    served = Gunicorn({
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/nowhere",  # refused at once
        "PROMETHEUS_MULTIPROC_DIR": str(samples),
        "METRICS_TOKEN": TOKEN,
        "MUSTER_VAR_DIR": str(folder),
    }, folder / "gunicorn.log", "--config", str(config), "--workers", "2")
    served.samples = samples
    yield served
    served.stop()


def scrape(server) -> dict:
    status, _, body = server.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert status == 200, body[:500]
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(body.decode())
            for s in family.samples}


def healthz_count(samples) -> float:
    labels = (("method", "GET"), ("status", "2xx"), ("view", "healthz"))
    return samples.get(("muster_http_request_duration_seconds_count", labels), 0)


def each_workers_count(folder: Path) -> list[float]:
    """/healthz requests in each worker's own file, read one file at a time."""
    counts = []
    for samples in folder.glob("histogram_*.db"):
        with tempfile.TemporaryDirectory() as alone:
            shutil.copy(samples, alone)
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=alone)
            counts.append(healthz_count(
                {(s.name, tuple(sorted(s.labels.items()))): s.value
                 for family in registry.collect() for s in family.samples}))
    return counts


def probe_in_parallel(server, times: int) -> None:
    """Several at once, so both workers take some (an idle sync worker may take all)."""
    with ThreadPoolExecutor(4) as pool:
        assert set(pool.map(lambda _: server.get("/healthz")[0], range(times))) == {200}


def test_every_scrape_adds_up_both_workers(server):
    assert not (server.samples / "counter_999999.db").exists()
    sent = 0
    while sum(1 for n in each_workers_count(server.samples) if n) < 2 and sent < 400:
        probe_in_parallel(server, 40)
        sent += 40
    per_worker = each_workers_count(server.samples)
    assert len(per_worker) == 2 and min(per_worker) > 0, per_worker

    counts = {healthz_count(scrape(server)) for _ in range(6)}

    assert counts == {sum(per_worker)}  # more than either worker alone served


def test_the_scrape_answers_when_the_database_is_down(server):
    samples = scrape(server)

    assert samples[("muster_database_up", ())] == 0
    assert ("muster_emails_pending", ()) not in samples


def test_a_dead_workers_counts_are_kept(server):
    probe_in_parallel(server, 8)
    files = {int(p.stem.rpartition("_")[2]): p for p in server.samples.glob("histogram_*.db")}
    before = sum(each_workers_count(server.samples))
    os.kill(max(files), signal.SIGKILL)

    after = healthz_count(scrape(server))  # answered by the worker left, or its successor

    assert after >= before
