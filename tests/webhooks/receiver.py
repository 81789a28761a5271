"""A real HTTP receiver on 127.0.0.1 for the webhook tests: it records every request it
gets (path, headers, raw body) and answers with the status the test sets. It can be
stopped (its port then refuses connections, as a receiver that is down does) and started
again on the same port."""

import http.server
import json
import threading
from dataclasses import dataclass


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        receiver = self.server.receiver  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
        status = receiver.status
        reply = receiver.reply.encode()
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("Location", receiver.url + "elsewhere")
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


class Receiver:
    def __init__(self):
        self.requests: list[Received] = []
        self.status = 200
        self.reply = "thanks"
        self.port = 0
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/"

    def start(self) -> "Receiver":
        server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), _Handler)
        server.receiver = self  # type: ignore[attr-defined]
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Down: the port refuses connections until `start` again."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
