"""A real local webhook receiver for the tests: http.server in a thread, on a free port.

It records every request (path, headers, body) and answers from a script of
responses (status and headers), then with the default status. ``stop`` closes
the port (the receiver is "down"); ``start`` opens the same port again.

The service allow-lists exact ``host:port`` endpoints, so receivers take turns
on a few ports chosen when the tests start (``RECEIVER_PORTS``), which
``conftest.fast_settings`` allow-lists; a receiver whose port is taken moves on
to the next one.
"""

from __future__ import annotations

import itertools
import socket
import threading
import time
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


#: The ports receivers take turns on (distinct, free when chosen).
RECEIVER_PORTS: tuple[int, ...] = tuple(dict.fromkeys(free_port() for _ in range(16)))
_turns = itertools.count()


def next_port() -> int:
    return RECEIVER_PORTS[next(_turns) % len(RECEIVER_PORTS)]


def allowed_receivers() -> list[str]:
    """The allow-list entries that let the service call every test receiver."""
    return [f"127.0.0.1:{port}" for port in RECEIVER_PORTS]


@dataclass
class Receiver:
    port: int = field(default_factory=next_port)
    default_status: int = 204
    #: How long each notification (not a verification call) waits before its answer.
    delay_s: float = 0.0
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
                if receiver.delay_s and b"endpoint-verification" not in body:
                    time.sleep(receiver.delay_s)
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
        server: ThreadingHTTPServer | None = None
        for _ in RECEIVER_PORTS:
            try:
                server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
                break
            except OSError:
                if self.port not in RECEIVER_PORTS:
                    raise
                self.port = next_port()  # someone else took it meanwhile
        if server is None:
            raise OSError("no receiver port is free")
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
