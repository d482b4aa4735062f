"""A real local webhook receiver for the tests: http.server in a thread, on a free port.

It records every request (path, headers, body) and answers from a script of
responses (status and headers), then with the default status. ``stop`` closes
the port (the receiver is "down"); ``start`` opens the same port again.
"""

from __future__ import annotations

import socket
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def verified(self, secret: str) -> Any:
        """The body as a receiver sees it after checking the signature (raises if it fails)."""
        return Webhook(secret).verify(self.body, self.headers)

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Receiver:
    port: int = field(default_factory=free_port)
    default_status: int = 204
    script: deque[tuple[int, dict[str, str]]] = field(default_factory=deque)
    received: list[Received] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def url(self, path: str = "/hooks") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def respond(self, status: int, count: int = 1, **headers: str) -> None:
        for _ in range(count):
            self.script.append((status, dict(headers)))

    def deliveries(self, path: str | None = None) -> list[Received]:
        """Received notifications (not the endpoint verification calls)."""
        return [
            r
            for r in self.received
            if b"endpoint-verification" not in r.body and (path is None or r.path == path)
        ]

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.received.append(Received(self.path, headers, body))
                status, extra = (
                    receiver.script.popleft() if receiver.script else (receiver.default_status, {})
                )
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name.replace("_", "-"), value)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
