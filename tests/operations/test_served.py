"""Muster under gunicorn (a subprocess) whose database hangs: the process still says it is
alive, readiness says the database failed within the connect timeout (not minutes), and
the log is JSON lines carrying each request's id, with no query string."""

import json
import time

import pytest

from .servers import Gunicorn, Silent


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    hanging = Silent()
    folder = tmp_path_factory.mktemp("served")
    served = Gunicorn({
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{hanging.port}/nowhere",
        "DB_CONNECT_TIMEOUT": "2",
        "LOG_FORMAT": "json",
        "LOG_REQUESTS": "1",
        "MUSTER_VAR_DIR": str(folder),
    }, folder / "gunicorn.log", "--workers", "1", "--timeout", "30")
    yield served
    served.stop()
    hanging.close()


def test_the_process_answers_alive_without_its_database(server):
    started = time.monotonic()
    status, _, body = server.get("/healthz")

    assert status == 200 and json.loads(body) == {"status": "ok"}
    assert time.monotonic() - started < 1


def test_readiness_fails_fast_when_the_database_hangs(server):
    started = time.monotonic()
    status, _, body = server.get("/readyz")
    took = time.monotonic() - started

    assert status == 503
    answer = json.loads(body)
    assert answer["failed"] == ["database"]
    assert answer["checks"]["database"] == {"ok": False, "error": "OperationalError"}
    assert answer["checks"]["worker"] == {"ok": None, "skipped": "database unavailable"}
    assert took < 5, f"{took:.1f} s: one connect timeout (2 s), not the system's minutes"


def log_records(server) -> list[dict]:
    records = []
    for line in server.log().splitlines():
        if line.startswith("{"):
            records.append(json.loads(line))
    return records


def test_log_lines_are_json_with_the_request_id_and_no_query_string(server):
    _, headers, _ = server.get("/healthz", headers={"X-Request-ID": "probe-0001-abcdef"})
    status, headers, _ = server.get("/contracts/?q=Alderwood+Sensitive")
    assert status == 302  # to the sign-in page

    records = log_records(server)
    assert records, server.log()[-2000:]
    for record in records:
        assert {"time", "level", "logger", "message", "request_id"} <= record.keys()
    probe = [r for r in records if r["request_id"] == "probe-0001-abcdef"]
    assert [(r["logger"], r["view"], r["status"]) for r in probe] == [
        ("muster.requests", "healthz", 200)]
    search = [r for r in records if r["request_id"] == headers["X-Request-ID"]]
    assert [(r["view"], r["status"]) for r in search] == [("contracts:list", 302)]
    assert "Alderwood" not in server.log()
