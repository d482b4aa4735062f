"""One webhook attempt against local servers: rebinding, drip, huge bodies, generic reasons.

No broker: ``webhooks.post`` is called as the worker calls it, against
servers in this process (``asyncio`` streams or the test receiver).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpcore
import pytest
from httpcore._backends.auto import AutoBackend

from services.notifications.domain.urls import Endpoint, parse_allowed
from services.notifications.webhooks import (
    MAX_RESPONSE_BYTES,
    Target,
    _request,
    make_client,
    post,
)
from shared.contracts.vocabulary import DeliveryFailureReason
from tests.webhook_receiver import Receiver, free_port

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
PUBLIC = "93.184.215.14"

Serve = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def serving(handle: Serve) -> AsyncIterator[int]:
    """A TCP server on loopback in this event loop; yields its port."""
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port: int = server.sockets[0].getsockname()[1]
    try:
        yield port
    finally:
        server.close()
        await server.wait_closed()


async def _read_request(reader: asyncio.StreamReader) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        ),
        0,
    )
    await reader.readexactly(length)


async def attempt(url: str, allowed: list[str], deadline_s: float = 1.0) -> Any:
    async with make_client(deadline_s) as client:
        return await post(
            client,
            url,
            '{"id":"x"}',
            {"webhook-id": "msg_1"},
            now=NOW,
            allowed=parse_allowed(allowed),
            deadline_s=deadline_s,
        )


@pytest.fixture
def receiver() -> Any:
    started = Receiver().start()
    yield started
    started.stop()


async def test_a_name_rebound_to_loopback_after_the_check_is_never_connected_to_loopback(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first lookup says public, every later one says 127.0.0.1 (where a receiver listens)."""
    loop = asyncio.get_running_loop()
    lookups: list[str] = []

    async def rebinding(host: Any, port: Any, **kwargs: Any) -> list[Any]:
        lookups.append(str(host))
        address = PUBLIC if len(lookups) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    connected: list[str] = []
    real_connect = AutoBackend.connect_tcp

    async def recording_connect(self: Any, host: str, port: int, **kwargs: Any) -> Any:
        connected.append(host)
        if host == PUBLIC:  # stands for the public host; no traffic leaves this machine
            raise httpcore.ConnectError("unreachable in the test")
        return await real_connect(self, host, port, **kwargs)

    monkeypatch.setattr(loop, "getaddrinfo", rebinding)
    monkeypatch.setattr(AutoBackend, "connect_tcp", recording_connect)
    outcome = await attempt(f"http://rebind.example:{receiver.port}/hook", [])
    assert not outcome.delivered
    assert receiver.received == [], "loopback was reached through the second lookup"
    assert connected == [PUBLIC], "the connection went to the address that was checked"
    assert lookups == ["rebind.example"], "one lookup per attempt"


async def test_a_name_with_any_non_public_address_is_refused(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop = asyncio.get_running_loop()

    async def both(host: Any, port: Any, **kwargs: Any) -> list[Any]:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC, port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
        ]

    monkeypatch.setattr(loop, "getaddrinfo", both)
    outcome = await attempt(f"http://mixed.example:{receiver.port}/hook", [])
    assert (outcome.reason, outcome.error) == (
        DeliveryFailureReason.CONNECTION_ERROR,
        "address not allowed",
    )
    assert receiver.received == []


async def test_the_host_header_and_tls_name_stay_the_original_name() -> None:
    target = Target(Endpoint("hooks.example.org", 8443), ipaddress.ip_address(PUBLIC))
    async with make_client(1.0) as client:
        request = _request(client, "https://hooks.example.org:8443/in?x=1", target, "{}", {})
    assert str(request.url) == f"https://{PUBLIC}:8443/in?x=1"
    assert request.headers["host"] == "hooks.example.org:8443"
    assert request.extensions["sni_hostname"] == "hooks.example.org"


async def test_allow_listed_names_are_called_by_the_address_looked_up(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop = asyncio.get_running_loop()

    async def local(host: Any, port: Any, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(loop, "getaddrinfo", local)
    outcome = await attempt(
        f"http://hooks.test:{receiver.port}/in", [f"hooks.test:{receiver.port}"]
    )
    assert outcome.delivered
    assert receiver.received[0].headers["host"] == f"hooks.test:{receiver.port}"


@pytest.mark.parametrize("where", ["headers", "body"])
async def test_a_drip_endpoint_is_cut_off_at_the_deadline(where: str) -> None:
    """A byte every 0.2 s keeps every single read alive; the attempt still ends at 1 s."""

    async def drip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        if where == "headers":
            writer.write(b"HTTP/1.1 200 OK\r\nx-drip: ")
        else:
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n")
        with pytest.raises((ConnectionError, asyncio.CancelledError)):
            for _ in range(100):
                await writer.drain()
                await asyncio.sleep(0.2)
                writer.write(b"a")
        writer.close()

    async with serving(drip) as port:
        started = time.monotonic()
        outcome = await attempt(f"http://127.0.0.1:{port}/hook", [f"127.0.0.1:{port}"], 1.0)
        took = time.monotonic() - started
    assert (outcome.reason, outcome.error) == (DeliveryFailureReason.TIMEOUT, "timed out")
    assert took < 2.0, f"the attempt took {took:.1f} s"


async def test_a_64_mib_response_is_read_no_further_than_the_cap() -> None:
    chunk = b"\0" * 65536
    sent: list[int] = [0]

    async def huge(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % (64 * 1024 * 1024))
        try:
            for _ in range(1024):
                writer.write(chunk)
                await writer.drain()
                sent[0] += len(chunk)
        except ConnectionError:
            pass
        writer.close()

    async with serving(huge) as port:
        tracemalloc.start()
        try:
            outcome = await attempt(f"http://127.0.0.1:{port}/hook", [f"127.0.0.1:{port}"], 5.0)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        await asyncio.sleep(0.2)
    assert outcome.delivered and outcome.http_status == 200
    assert peak < 8 * 1024 * 1024, f"{peak} bytes at the peak"
    assert sent[0] < 32 * 1024 * 1024, "the client stopped reading at the cap"
    assert MAX_RESPONSE_BYTES == 64 * 1024


async def test_failure_reasons_are_generic(receiver: Receiver) -> None:
    """What the subscriber reads names no port state, TLS detail or exception."""
    allowed = [f"127.0.0.1:{receiver.port}"]
    tls = await attempt(f"https://127.0.0.1:{receiver.port}/hook", allowed)
    assert (tls.reason, tls.error) == (DeliveryFailureReason.TLS_ERROR, "TLS handshake failed")

    closed = free_port()
    refused = await attempt(f"http://127.0.0.1:{closed}/hook", [f"127.0.0.1:{closed}"])
    assert (refused.reason, refused.error) == (
        DeliveryFailureReason.CONNECTION_ERROR,
        "connection failed",
    )

    receiver.respond(500)
    failed = await attempt(receiver.url(), allowed)
    assert (failed.http_status, failed.error) == (500, "HTTP 500")

    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b"SSH-2.0-OpenSSH_9.6\r\n")
        await writer.drain()
        writer.close()

    async with serving(garbage) as port:
        odd = await attempt(f"http://127.0.0.1:{port}/hook", [f"127.0.0.1:{port}"])
    assert odd.error == "invalid HTTP response"
    for outcome in (tls, refused, odd):
        assert outcome.error is not None
        assert not any(word in outcome.error for word in ("SSL", "Errno", "Error", "ssh", "SSH"))
