"""A small round-robin HTTP proxy: one address for the replicas of a service.

``taskforce up --replicas N`` runs N processes of each service, each on its own
port, and one of these in front of them on the service's usual port, so that
clients, the demo loader and the printed URLs see one URL per service.

What it promises:

- **Round robin.** Each request goes to the next replica in turn.
- **Transparent.** Method, path, query, body and headers (``Authorization``
  included) reach the replica as sent; only hop-by-hop headers are dropped, and
  the client's address is appended to ``X-Forwarded-For``. Bodies are streamed
  both ways, never read whole.
- **Retried only when nothing was sent.** A replica that refuses the connection
  is skipped for the next one; once a request's bytes may have reached a
  replica it is never sent again (a POST must not happen twice).
- **Its own errors are 502 and 503 only.** 503 when no replica accepts a
  connection, 502 when the chosen one fails after the request went out and
  before it answered; anything else is the replica's own answer.
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx
import uvicorn

log = logging.getLogger(__name__)

Scope = dict[str, Any]
Message = dict[str, Any]

#: Headers that describe one connection, not the request (RFC 9110 section 7.6.1).
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)


class RoundRobinProxy:
    """An ASGI app that forwards every HTTP request to the next of ``upstreams``.

    ``upstreams`` are base URLs (``http://127.0.0.1:8101``). ``served`` counts the
    requests each one answered, for the summary and for tests.
    """

    def __init__(
        self,
        upstreams: Sequence[str],
        *,
        connect_timeout: float = 2.0,
        read_timeout: float = 120.0,
    ) -> None:
        if not upstreams:
            raise ValueError("a round-robin proxy needs at least one upstream")
        self.upstreams = [url.rstrip("/") for url in upstreams]
        self.served: Counter[str] = Counter()
        self._turn = itertools.count()
        self._timeout = httpx.Timeout(read_timeout, connect=connect_timeout)
        self._client: httpx.AsyncClient | None = None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            answer = _Answer(send)
            try:
                await self._forward(scope, receive, answer)
            except Exception:
                if answer.started:
                    raise  # the client has a status already: only closing is left
                log.exception("round-robin proxy failed before any replica answered")
                await _problem(answer, 502, "The proxy could not reach a replica.")

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._client = self._new_client()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._client is not None:
                    await self._client.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _new_client(self) -> httpx.AsyncClient:
        # trust_env=False: no proxy from the environment between us and loopback replicas.
        return httpx.AsyncClient(timeout=self._timeout, trust_env=False, follow_redirects=False)

    async def _forward(self, scope: Scope, receive: Any, send: Any) -> None:
        if self._client is None:  # run without lifespan (some test servers)
            self._client = self._new_client()
        body = _RequestBody(receive)
        start = next(self._turn)
        order = [
            self.upstreams[(start + i) % len(self.upstreams)] for i in range(len(self.upstreams))
        ]
        for upstream in order:
            request = self._client.build_request(
                scope["method"],
                upstream + _target(scope),
                headers=_forwarded_headers(scope),
                content=body if _has_body(scope) else None,
            )
            try:
                response = await self._client.send(request, stream=True)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if body.started:  # bytes may have gone out: never send them twice
                    log.warning("%s failed after the request was sent: %s", upstream, exc)
                    await _problem(send, 502, "The replica failed before it answered.")
                    return
                log.info("%s refused the connection; trying the next replica", upstream)
                continue
            except httpx.HTTPError as exc:
                log.warning("%s failed before it answered: %s", upstream, exc)
                await _problem(send, 502, "The replica failed before it answered.")
                return
            self.served[upstream] += 1
            await _relay(response, send)
            return
        await _problem(send, 503, "No replica of this service accepts connections.")


class _Answer:
    """The ASGI ``send`` of the client's connection, noting whether the answer has begun."""

    def __init__(self, send: Any) -> None:
        self._send = send
        self.started = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)


class _RequestBody:
    """The client's body as an async iterator, noting whether any of it was taken."""

    def __init__(self, receive: Any) -> None:
        self._receive = receive
        self.started = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self.started = True
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                raise httpx.ReadError("the client went away while sending its body")
            chunk: bytes = message.get("body", b"")
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return


def _has_body(scope: Scope) -> bool:
    headers = dict(scope["headers"])
    return b"content-length" in headers or b"transfer-encoding" in headers


def _target(scope: Scope) -> str:
    path: str = scope.get("raw_path", scope["path"].encode()).decode("latin-1")
    query: bytes = scope.get("query_string", b"")
    return f"{path}?{query.decode('latin-1')}" if query else path


def _forwarded_headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    """The client's headers without hop-by-hop ones, and its address appended to XFF."""
    connection_named = {
        token.strip().lower()
        for name, value in scope["headers"]
        if name.lower() == b"connection"
        for token in value.split(b",")
    }
    headers: list[tuple[bytes, bytes]] = []
    forwarded_for: list[bytes] = []
    for name, value in scope["headers"]:
        lower = name.lower()
        if lower.decode("latin-1") in HOP_BY_HOP or lower in connection_named:
            continue
        if lower == b"x-forwarded-for":
            forwarded_for.append(value)
            continue
        headers.append((name, value))
    client = scope.get("client")
    if client:
        forwarded_for.append(str(client[0]).encode())
    if forwarded_for:
        headers.append((b"x-forwarded-for", b", ".join(forwarded_for)))
    return headers


async def _relay(response: httpx.Response, send: Any) -> None:
    """The replica's answer to the client: status, headers, then the body as it comes."""
    try:
        headers = [
            (name, value)
            for name, value in response.headers.raw
            if name.lower().decode("latin-1") not in HOP_BY_HOP
        ]
        await send(
            {"type": "http.response.start", "status": response.status_code, "headers": headers}
        )
        async for chunk in response.aiter_raw():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    finally:
        await response.aclose()


async def _problem(send: Any, status: int, detail: str) -> None:
    title = "Bad Gateway" if status == 502 else "Service Unavailable"
    body = json.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail})
    headers = [(b"content-type", b"application/problem+json")]
    if status == 503:
        headers.append((b"retry-after", b"1"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body.encode()})


class ProxyServer:
    """A proxy served by uvicorn on a thread of its own, for ``taskforce up`` and tests."""

    def __init__(self, proxy: RoundRobinProxy, port: int, host: str = "127.0.0.1") -> None:
        self.proxy = proxy
        self.host = host
        self.port = port
        config = uvicorn.Config(
            proxy,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            lifespan="on",
            # The peer is the client: an X-Forwarded-For it sends is appended to, not believed.
            proxy_headers=False,
            # The replica's own Server and Date headers pass through; no second pair.
            server_header=False,
            date_header=False,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, name=f"round-robin-{port}", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        """Serve in the background; returns once the port accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the round-robin proxy did not start on {self.url}")
            time.sleep(0.05)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
