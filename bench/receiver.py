"""A minimal asyncio webhook receiver that records when each delivery arrives.

It speaks just enough HTTP/1.1 (keep-alive, ``content-length`` bodies) for the
notifications service's client, answers 204 at once, and verifies each
signature with ``standardwebhooks`` after noting the arrival time, so the
check does not count towards the measured latency.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError

VERIFICATION_TYPE = "nl.migratiesamenwerking.notifications.endpoint-verification"
FLAGGED_TYPE = "nl.migratiesamenwerking.monitoring.programme-flagged"
NO_CONTENT = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n"
UNAUTHORIZED = b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n"


@dataclass
class Arrival:
    """A verified ``programme-flagged`` delivery: when it came and what it names."""

    at: float
    webhook_id: str
    result_id: str
    category: str


@dataclass
class WebhookRecorder:
    """Serves ``POST /<organisation>`` and keeps the arrivals of flags by result id."""

    secrets: dict[str, str] = field(default_factory=dict)
    arrivals: dict[str, list[Arrival]] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _server: asyncio.Server | None = None

    async def start(self, port: int, host: str = "127.0.0.1") -> None:
        self._server = await asyncio.start_server(self._serve, host, port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2.0)

    def received(self, result_id: str) -> float | None:
        found = self.arrivals.get(result_id)
        return found[0].at if found else None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1] if " " in lines[0] else "/"
                headers: dict[str, str] = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name:
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                at = time.monotonic()
                accepted = self._record(path, headers, body, at)
                writer.write(NO_CONTENT if accepted else UNAUTHORIZED)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:  # the receiver is stopping
            pass
        finally:
            writer.close()

    def _record(self, path: str, headers: dict[str, str], body: bytes, at: float) -> bool:
        organisation = path.strip("/").split("/", 1)[0]
        secret = self.secrets.get(organisation)
        if secret is None:
            self.counts["unknown-organisation"] += 1
            return False
        try:
            Webhook(secret).verify(body, headers)
        except (WebhookVerificationError, ValueError):
            self.counts["bad-signature"] += 1
            return False
        event: dict[str, Any] = json.loads(body)
        kind = str(event.get("type", ""))
        if kind == VERIFICATION_TYPE:
            self.counts["verification"] += 1
            return True
        if kind != FLAGGED_TYPE:
            self.counts["other"] += 1
            return True
        data = event.get("data") or {}
        evidence = data.get("evidence") or [{}]
        arrival = Arrival(
            at=at,
            webhook_id=headers.get("webhook-id", ""),
            result_id=str(evidence[0].get("resourceId", "")),
            category=str(data.get("category", "")),
        )
        self.counts["flagged"] += 1
        self.arrivals.setdefault(arrival.result_id, []).append(arrival)
        self.arrived.set()
        return True
