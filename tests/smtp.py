"""A real SMTP server (aiosmtpd) on 127.0.0.1 for the tests that read what Muster sends,
and the `smtp` fixture (tests/conftest.py) that points delivery at one."""

import email
import socket

import pytest
from aiosmtpd.controller import Controller


class Collect:
    """An SMTP handler that keeps every envelope it accepts."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self):
        return [email.message_from_bytes(e.content) for e in self.envelopes]


class SMTPServer:
    """A real SMTP server on 127.0.0.1 that a test can stop and start again."""

    def __init__(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.handler = Collect()
        self.controller = None

    def start(self):
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def envelopes(self):
        return self.handler.envelopes


@pytest.fixture
def smtp(settings):
    """A real SMTP server that delivery sends to; the test reads its `envelopes`."""
    server = SMTPServer()
    server.start()
    settings.MAILERS = {"default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": server.port, "timeout": 5},
    }}
    yield server
    server.stop()
