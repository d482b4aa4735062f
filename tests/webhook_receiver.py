"""The webhook receiver every test uses: http.server in a thread, on a local port.

It records every request it accepts (path, headers, body) and answers from a
script of responses (status and headers), then with the default status.
``stop`` closes the port (the receiver is "down"); ``start`` opens the same
port again.

Two ways to run it, as the tests need:

- recording (the notifications tests): every request is accepted; the test
  checks signatures itself (``Received.verified``);
- checking signatures (``checks_signatures=True``, the end-to-end stack), as a
  ministry or agency runs one: each path (``/<organisation>``) has its own secret
  (``endpoint``); a request to a path without one gets 404, one whose Standard
  Webhooks signature does not verify gets 401 and is counted in ``rejected``.

The service allow-lists exact ``host:port`` endpoints, so receivers take turns
on a few ports chosen when the tests start (``RECEIVER_PORTS``), which the
notifications tests' settings allow-list (``allowed_receivers``); a receiver
whose port is taken moves on to the next one. The stack puts its receiver's
own port on its allow-list instead.
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from services.notifications.domain.signing import new_secret

#: The body of the call that verifies an endpoint (not a notification).
VERIFICATION = b"endpoint-verification"


@dataclass(frozen=True)
class Received:
    """One request as the receiver got it."""

    path: str
    headers: dict[str, str]
    body: bytes

    def verified(self, secret: str) -> Any:
        """The body as a receiver sees it after checking the signature (raises if it fails)."""
        return Webhook(secret).verify(self.body, self.headers)

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def event(self) -> dict[str, Any]:
        """The CloudEvent the notification carries."""
        event: dict[str, Any] = json.loads(self.body)
        return event

    @property
    def type(self) -> str:
        """The event type's last part, e.g. ``programme-flagged``."""
        return str(self.event["type"]).rsplit(".", 1)[-1]

    @property
    def data(self) -> dict[str, Any]:
        data: dict[str, Any] = self.event["data"]
        return data

    @property
    def is_notification(self) -> bool:
        return VERIFICATION not in self.body


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
    #: Refuse what does not verify with its path's secret (see ``endpoint``).
    checks_signatures: bool = False
    #: Only notifications of this OIN count in ``at``, ``about`` and ``repeated_ids``:
    #: other stacks may share the broker's topics.
    oin: str | None = None
    secrets: dict[str, str] = field(default_factory=dict)
    script: deque[tuple[int, dict[str, str]]] = field(default_factory=deque)
    #: Every accepted request, verification calls included, in arrival order.
    received: list[Received] = field(default_factory=list)
    #: Requests refused because their signature did not verify.
    rejected: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    def url(self, path: str = "/hooks") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def endpoint(self, organisation: str) -> tuple[str, str]:
        """The URL and a fresh secret for one organisation's subscription."""
        path = f"/{organisation}"
        self.secrets.setdefault(path, new_secret())
        return self.url(path), self.secrets[path]

    def respond(self, status: int, count: int = 1, **headers: str) -> None:
        for _ in range(count):
            self.script.append((status, dict(headers)))

    def deliveries(self, path: str | None = None) -> list[Received]:
        """Received notifications (not the endpoint verification calls)."""
        with self._lock:
            return [
                r for r in self.received if r.is_notification and (path is None or r.path == path)
            ]

    def at(self, organisation: str, *types: str) -> list[Received]:
        """This OIN's notifications at an organisation's endpoint, of the given types (or all)."""
        return [
            r
            for r in self._ours()
            if r.path == f"/{organisation}" and (not types or r.type in types)
        ]

    def about(self, programme_id: str) -> list[Received]:
        return [r for r in self._ours() if r.data.get("programmeId") == programme_id]

    def repeated_ids(self) -> dict[str, int]:
        """Webhook-ids of this OIN's notifications received more than once."""
        counts = Counter(r.webhook_id for r in self._ours())
        return {wid: n for wid, n in counts.items() if n > 1}

    def _ours(self) -> list[Received]:
        return [
            r
            for r in self.deliveries()
            if self.oin is None or f":oin:{self.oin}:" in str(r.event.get("source", ""))
        ]

    def _answer(self, request: Received) -> tuple[int, dict[str, str]]:
        """Check and record one request; the status and headers to answer with."""
        if self.checks_signatures:
            secret = self.secrets.get(request.path)
            if secret is None:
                return 404, {}
            try:
                request.verified(secret)
            except WebhookVerificationError:
                with self._lock:
                    self.rejected += 1
                return 401, {}
        if self.delay_s and request.is_notification:
            time.sleep(self.delay_s)
        with self._lock:
            self.received.append(request)
            return self.script.popleft() if self.script else (self.default_status, {})

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, extra = receiver._answer(Received(self.path, headers, body))
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
        # A short poll, so that ``stop`` returns at once rather than after up to half a second.
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
