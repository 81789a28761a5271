"""Errors reach Sentry when SENTRY_DSN is set, and nothing personal goes with them. Muster
runs under gunicorn with its database down (so a page fails for real), and a small HTTP
server in this test stands in for Sentry's ingest endpoint."""

import contextlib
import gzip
import json
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from muster.operations.sentry import before_send

from .servers import Gunicorn, wait_for

EMAIL = "sam.quincy@agency.example.gov"
COOKIE = "csrftoken=c5rf-value-abcdef; tracking=s3cr3t-cookie-value-0123456789"


def decode(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "br":
        import brotli

        return brotli.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    return body


class Ingest(BaseHTTPRequestHandler):
    """Sentry's envelope endpoint: keeps each envelope's items as parsed JSON."""

    received: list[dict] = []
    raw: list[str] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        text = decode(body, self.headers.get("Content-Encoding", "")).decode()
        type(self).raw.append(text)
        for line in text.splitlines()[1:]:
            with contextlib.suppress(ValueError):  # an attachment's bytes, say
                type(self).received.append(json.loads(line))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def sentry():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Ingest)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def muster(sentry, tmp_path_factory):
    folder = tmp_path_factory.mktemp("sentry")
    served = Gunicorn({
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/nowhere",  # every query fails
        "SENTRY_DSN": f"http://publickey@127.0.0.1:{sentry.server_port}/1",
        "SENTRY_ENVIRONMENT": "staging",
        "SENTRY_RELEASE": "muster@1.2.3",
        "MUSTER_VAR_DIR": str(folder),
    }, folder / "gunicorn.log", "--workers", "1")
    yield served
    served.stop()


def test_an_error_in_a_page_reaches_sentry_without_personal_data(muster, sentry):
    status, headers, body = muster.get(
        f"/accounts/login/?next=/contracts/&email={EMAIL}",
        headers={"Cookie": COOKIE, "X-Contact": EMAIL, "Authorization": "Bearer tok-123456"})
    assert status == 500  # the sign-in page's help contacts are in a database that is down
    assert b"Something went wrong" in body  # Muster's page, without what needs the database
    assert b'<a href="/" title="Muster home">Muster</a>' in body  # its header's links work

    assert wait_for(lambda: any(i.get("exception") for i in Ingest.received), 15), \
        muster.log()[-2000:]
    (event,) = [i for i in Ingest.received if i.get("exception")]  # one error, one event
    assert event["exception"]["values"][-1]["type"] == "OperationalError"
    assert event["environment"] == "staging" and event["release"] == "muster@1.2.3"
    assert event["tags"]["request_id"] == headers["X-Request-ID"]
    assert event["request"] == {"method": "GET",
                                "url": f"http://127.0.0.1:{muster.port}/accounts/login/"}
    everything = "\n".join(Ingest.raw)
    for secret in (EMAIL, "sam.quincy", "s3cr3t-cookie-value", "c5rf-value", "tok-123456",
                   "next=", "/contracts/"):
        assert secret not in everything, secret
    assert "vars" not in json.dumps(event["exception"])  # no local variables


def test_before_send_masks_emails_and_keeps_only_the_users_id():
    event = {
        "request": {"method": "POST", "url": "https://m.example.gov/accounts/invitation/tok/",
                    "query_string": "q=x", "cookies": {"sessionid": "x"},
                    "headers": {"Cookie": "x"}, "data": {"email": EMAIL}},
        "user": {"id": "7", "email": EMAIL, "ip_address": "10.0.0.9"},
        "exception": {"values": [{"type": "IntegrityError",
                                  "value": f"Key (email)=({EMAIL}) already exists"}]},
        "breadcrumbs": {"values": [{"message": f"Sent to {EMAIL}"}]},
    }

    scrubbed = before_send(event)

    assert scrubbed["request"] == {
        "method": "POST", "url": "https://m.example.gov/accounts/invitation/[hidden]/"}
    assert scrubbed["user"] == {"id": "7"}
    assert EMAIL not in json.dumps(scrubbed)
    assert scrubbed["exception"]["values"][0]["value"] == "Key (email)=([email]) already exists"


def test_without_a_dsn_nothing_is_initialised():
    import sentry_sdk

    assert not sentry_sdk.get_client().is_active()

