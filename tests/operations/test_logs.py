"""Log lines carry the request id and leave out what is personal or secret: query strings
(searches), email addresses, token links. Read off the handler settings.py configures."""

import io
import json
import logging
import threading
import urllib.request

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer
from django.urls import reverse

from muster.operations.logs import JsonFormatter, RequestContext, TextFormatter, scrub_url_parts
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def muster_handler() -> logging.Handler:
    return next(h for h in logging.getLogger().handlers
                if any(isinstance(f, RequestContext) for f in h.filters))


@pytest.fixture
def log(settings):
    """What the configured handler writes, as JSON lines, while the test runs."""
    settings.LOG_REQUESTS = True
    handler = muster_handler()
    stream = io.StringIO()
    formatter = handler.formatter
    old_stream = handler.setStream(stream)
    handler.setFormatter(JsonFormatter())
    try:
        yield stream
    finally:
        handler.setStream(old_stream)
        handler.setFormatter(formatter)


def records(stream) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_a_search_and_a_failed_sign_in_leave_neither_term_nor_email(client, log):
    person = UserFactory(email="sam.quincy@agency.example.gov", full_name="Sam Quincy")

    missing = client.get("/contracts/nowhere/?q=Alderwood")
    failed = client.post(reverse("account_login"),
                         {"login": person.email, "password": "not-the-password"})

    assert missing.status_code == 404 and failed.status_code == 200
    text = log.getvalue()
    lines = records(log)
    assert any(r["logger"] == "django.request" for r in lines)  # "Not Found: ..."
    assert "Alderwood" not in text
    assert "sam.quincy" not in text.lower() and "Quincy" not in text
    assert "not-the-password" not in text


def test_every_line_of_a_request_carries_its_id(client, log):
    response = client.get("/contracts/nowhere/", headers={"X-Request-ID": "lb-req-000042"})

    assert response["X-Request-ID"] == "lb-req-000042"
    mine = records(log)
    assert {r["logger"] for r in mine} == {"django.request", "muster.requests"}
    assert {r["request_id"] for r in mine} == {"lb-req-000042"}
    for r in mine:
        assert {"time", "level", "logger", "message"} <= r.keys()
        assert "request" not in r  # Django's request object (its repr holds the query)


def test_the_development_servers_request_line_has_no_query_string(log):
    """runserver's own line ("GET /path?query HTTP/1.1" 302), from its real handler."""
    server = WSGIServer(("127.0.0.1", 0), WSGIRequestHandler)
    server.set_app(WSGIHandler())  # not get_wsgi_application: it would set logging up anew
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        opener = urllib.request.build_opener(NoRedirect)
        try:
            opener.open(f"http://127.0.0.1:{server.server_port}/contracts/?q=Alderwood",
                        timeout=10)
        except urllib.error.HTTPError as error:
            assert error.code == 302
    finally:
        server.shutdown()
        server.server_close()

    served = [r for r in records(log) if r["logger"] == "django.server"]
    assert served and "/contracts/?[hidden]" in served[0]["message"]
    assert "Alderwood" not in log.getvalue()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_a_not_ready_answer_is_not_logged_as_a_server_error(client, log):
    assert client.get("/readyz").status_code == 503  # no worker here

    assert [r["level"] for r in records(log) if r["logger"] == "django.request"] == []


def test_email_addresses_are_masked_anywhere_in_a_line(log):
    logger = logging.getLogger("muster.somewhere")
    logger.warning("Could not reach %s", "Ann.Lee@agency.example.gov")
    try:
        raise ValueError('duplicate key (email)=(bo.diaz@example.com) already exists')
    except ValueError:
        logger.exception("Saving failed")

    text = log.getvalue()
    assert "Ann.Lee" not in text and "bo.diaz" not in text
    assert "Could not reach [email]" in text and "=([email])" in text


@pytest.mark.parametrize(("line", "shown"), [
    ('"GET /closeout/calendar/Zx81-secret.ics HTTP/1.1" 200',
     '"GET /closeout/calendar/[hidden] HTTP/1.1" 200'),
    ("Not Found: /accounts/invitation/abc123token/", "Not Found: /accounts/invitation/[hidden]/"),
    ("/accounts/invitation/new/", "/accounts/invitation/new/"),
    ("/accounts/password/reset/key/4-abc-def/", "/accounts/password/reset/key/[hidden]/"),
    ("/accounts/password/reset/key/done/", "/accounts/password/reset/key/done/"),
    ("/accounts/login/?next=/contracts/12/", "/accounts/login/?[hidden]"),
])
def test_secret_parts_of_addresses_are_hidden(line, shown):
    assert scrub_url_parts(line) == shown


def test_the_text_format_carries_the_request_id_too():
    record = logging.LogRecord("muster.x", logging.INFO, "", 0, "Hello %s", ("you",), None)
    RequestContext().filter(record)
    record.request_id = "abcd-1234-efgh"

    line = TextFormatter().format(record)

    assert line.endswith("INFO muster.x [abcd-1234-efgh] Hello you")
