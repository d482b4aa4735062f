"""A webhook receiver as a ministry or agency runs one: it verifies every signature.

An ``http.server`` in a thread on a free port. Each path (``/<organisation>``)
has its own secret; a request whose Standard Webhooks signature does not verify
is refused with 401 and counted in ``rejected``. Verified notifications are kept
in arrival order; ``stop`` closes the port (the receiver is down) and ``start``
opens the same port again.
"""

from __future__ import annotations

import json
import socket
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from services.notifications.domain.signing import new_secret


@dataclass(frozen=True)
class Delivery:
    """One verified notification: where it arrived, its webhook-id and the CloudEvent."""

    path: str
    webhook_id: str
    event: dict[str, Any]

    @property
    def type(self) -> str:
        return str(self.event["type"]).rsplit(".", 1)[-1]

    @property
    def data(self) -> dict[str, Any]:
        data: dict[str, Any] = self.event["data"]
        return data


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class WebhookReceiver:
    #: Only events of this OIN are kept: other stacks may share the broker's topics.
    oin: str = ""
    port: int = field(default_factory=free_port)
    secrets: dict[str, str] = field(default_factory=dict)
    deliveries: list[Delivery] = field(default_factory=list)
    rejected: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    def endpoint(self, organisation: str) -> tuple[str, str]:
        """The URL and a fresh secret for one organisation's subscription."""
        path = f"/{organisation}"
        self.secrets.setdefault(path, new_secret())
        return f"http://127.0.0.1:{self.port}{path}", self.secrets[path]

    def at(self, organisation: str, *types: str) -> list[Delivery]:
        """Notifications received at an organisation's endpoint, of the given types (or all)."""
        with self._lock:
            return [
                d
                for d in self.deliveries
                if d.path == f"/{organisation}" and (not types or d.type in types)
            ]

    def about(self, programme_id: str) -> list[Delivery]:
        with self._lock:
            return [d for d in self.deliveries if d.data.get("programmeId") == programme_id]

    def repeated_ids(self) -> dict[str, int]:
        """Webhook-ids received more than once."""
        with self._lock:
            counts = Counter(d.webhook_id for d in self.deliveries)
        return {wid: n for wid, n in counts.items() if n > 1}

    def _accept(self, path: str, headers: dict[str, str], body: bytes) -> int:
        secret = self.secrets.get(path)
        if secret is None:
            return 404
        try:
            Webhook(secret).verify(body, headers)
        except WebhookVerificationError:
            with self._lock:
                self.rejected += 1
            return 401
        event = json.loads(body)
        if "endpoint-verification" not in str(event.get("type", "")) and (
            f":oin:{self.oin}:" in str(event.get("source", ""))
        ):
            with self._lock:
                self.deliveries.append(Delivery(path, headers["webhook-id"], event))
        return 204

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                self.send_response(receiver._accept(self.path, headers, body))
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
