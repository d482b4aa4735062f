"""The outbound webhook transport: one POST to the checked address, within one deadline.

- **One lookup, pinned.** The URL's host is resolved once per attempt
  (``target_of``, with the ``Resolve`` the context holds: the system's
  ``getaddrinfo``, or a test's), every address it answers is judged by the
  domain's rules (``domain/urls.py``), and the request goes to the first one as
  an IP URL, with ``Host`` the original name and, for https, TLS SNI and
  certificate verification for that name (the ``sni_hostname`` request
  extension of httpcore). No second lookup happens, so a name that answers a
  public address to the check and loopback to the connect (DNS rebinding)
  gets nowhere.
- **One deadline** covers lookup, connect, TLS, sending, the response headers
  and the capped body: an endpoint that drips a byte a second is cut off at
  the deadline, not kept alive read by read.
- **Capped read.** The response body is never needed; at most
  ``MAX_RESPONSE_BYTES`` are read (raw, not decompressed) and the connection
  is closed, so a huge or endless body costs neither memory nor time.
- **Generic reasons.** The subscriber sees ``timed out``, ``connection
  failed``, ``TLS handshake failed``, ``address not allowed``, ``invalid HTTP
  response`` or ``HTTP <status>``; the exception itself goes only to this
  service's log. Error texts would otherwise let a subscriber probe what
  answers where inside the network.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import logging
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import datetime

import httpx

from services.notifications.domain.deliveries import Outcome, classify
from services.notifications.domain.urls import (
    Endpoint,
    IPAddress,
    endpoint_of,
    literal_address,
    refusal,
)
from shared.contracts.vocabulary import DeliveryFailureReason

log = logging.getLogger(__name__)

#: The most of a response body ever read (and then only to end the exchange cleanly).
MAX_RESPONSE_BYTES = 64 * 1024

TIMED_OUT = "timed out"
CONNECTION_FAILED = "connection failed"
TLS_FAILED = "TLS handshake failed"
NOT_ALLOWED = "address not allowed"
BAD_RESPONSE = "invalid HTTP response"


#: Looks a host name up: every address it has for a TCP connection on the port.
Resolve = Callable[[str, int], Awaitable[list[IPAddress]]]


class RefusedAddress(Exception):
    """The URL's host may not be called.

    ``reason`` may be shown to the subscriber (it names no address); the
    exception's message, with the addresses, is for the service's log only.
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


async def system_resolve(host: str, port: int) -> list[IPAddress]:
    """The operating system's answer (``getaddrinfo``), in its order, without duplicates."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    found: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


@dataclass(frozen=True)
class Target:
    """Where one attempt connects: the checked ``address``, for the URL's ``endpoint``."""

    endpoint: Endpoint
    address: IPAddress


async def target_of(
    url: str, allowed: Collection[Endpoint], resolve: Resolve = system_resolve
) -> Target:
    """The address to connect to for ``url``, checked; ``RefusedAddress`` when there is none."""
    endpoint = endpoint_of(url)
    if endpoint is None:
        raise RefusedAddress("has no host to connect to", f"{url!r} has no host")
    literal = literal_address(endpoint.host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            addresses = await resolve(endpoint.host, endpoint.port)
        except OSError as exc:
            raise RefusedAddress(
                f"{endpoint.host} does not resolve", f"{endpoint.host} does not resolve ({exc})"
            ) from exc
    refused = refusal(endpoint, addresses, allowed)
    if refused is not None:
        raise RefusedAddress(refused, f"{refused}: {', '.join(map(str, addresses))}")
    return Target(endpoint, addresses[0])


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The system's trust store, loaded once: every client verifies endpoints with it.

    Building it (reading and parsing every CA certificate) is most of what a new
    client costs, and clients come and go with the endpoints attempts go to.
    """
    return ssl.create_default_context()


def make_client(timeout_s: float) -> httpx.AsyncClient:
    """A client for one endpoint's attempts (its pooled connections are to that endpoint only)."""
    return httpx.AsyncClient(
        verify=tls_context(),
        follow_redirects=False,
        timeout=timeout_s,
        trust_env=False,
        limits=httpx.Limits(max_connections=4, max_keepalive_connections=2),
        headers={"user-agent": "taskforce-notifications/1", "content-type": "application/json"},
    )


class EndpointClients:
    """One client per endpoint (scheme, host, port) while attempts to it are in flight.

    Attempts to the same endpoint share its pooled connections; no connection is
    ever kept to an endpoint nothing is being sent to.
    """

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._clients: dict[str, tuple[httpx.AsyncClient, int]] = {}

    @contextlib.asynccontextmanager
    async def to(self, url: str | None) -> AsyncIterator[httpx.AsyncClient]:
        """The client for ``url``'s endpoint, for the length of one attempt."""
        parts = httpx.URL(url or "http://invalid/")
        key = f"{parts.scheme}://{parts.host}:{parts.port}"
        client, users = self._clients.get(key) or (make_client(self.timeout_s), 0)
        self._clients[key] = (client, users + 1)
        try:
            yield client
        finally:
            client, users = self._clients[key]
            if users > 1:
                self._clients[key] = (client, users - 1)
            else:
                del self._clients[key]
                await client.aclose()

    async def close(self) -> None:
        for client, _ in self._clients.values():
            await client.aclose()
        self._clients.clear()


def _request(
    client: httpx.AsyncClient, url: str, target: Target, body: str, headers: dict[str, str]
) -> httpx.Request:
    original = httpx.URL(url)
    pinned = original.copy_with(host=str(target.address))
    extensions: dict[str, object] = {}
    if original.scheme == "https" and literal_address(target.endpoint.host) is None:
        extensions["sni_hostname"] = target.endpoint.host
    return client.build_request(
        "POST",
        pinned,
        content=body.encode(),
        headers={**headers, "host": original.netloc.decode("ascii")},
        extensions=extensions,
    )


async def _read_capped(response: httpx.Response) -> None:
    read = 0
    async for chunk in response.aiter_raw():
        read += len(chunk)
        if read >= MAX_RESPONSE_BYTES:
            return


def _is_tls(error: BaseException) -> bool:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _failed(
    endpoint: str, reason: DeliveryFailureReason, error: str, cause: BaseException
) -> Outcome:
    log.warning("webhook attempt to %s failed (%s): %r", endpoint, error, cause)
    return Outcome(False, None, reason, error)


async def post(
    client: httpx.AsyncClient,
    url: str,
    body: str,
    headers: dict[str, str],
    *,
    now: datetime,
    allowed: Collection[Endpoint],
    deadline_s: float,
    resolve: Resolve = system_resolve,
) -> Outcome:
    """One signed POST within ``deadline_s``; never raises for what the receiver or network did."""
    where = "the endpoint"
    try:
        async with asyncio.timeout(deadline_s):
            target = await target_of(url, allowed, resolve)
            where = str(target.endpoint)
            response = await client.send(_request(client, url, target, body, headers), stream=True)
            try:
                await _read_capped(response)
            finally:
                await response.aclose()
    except RefusedAddress as exc:
        return _failed(where, DeliveryFailureReason.CONNECTION_ERROR, NOT_ALLOWED, exc)
    except (TimeoutError, httpx.TimeoutException) as exc:
        return _failed(where, DeliveryFailureReason.TIMEOUT, TIMED_OUT, exc)
    except httpx.ConnectError as exc:
        if _is_tls(exc):
            return _failed(where, DeliveryFailureReason.TLS_ERROR, TLS_FAILED, exc)
        return _failed(where, DeliveryFailureReason.CONNECTION_ERROR, CONNECTION_FAILED, exc)
    except httpx.RemoteProtocolError as exc:
        return _failed(where, DeliveryFailureReason.CONNECTION_ERROR, BAD_RESPONSE, exc)
    except (httpx.HTTPError, OSError, ssl.SSLError) as exc:
        if _is_tls(exc):
            return _failed(where, DeliveryFailureReason.TLS_ERROR, TLS_FAILED, exc)
        return _failed(where, DeliveryFailureReason.CONNECTION_ERROR, CONNECTION_FAILED, exc)
    return classify(response.status_code, response.headers.get("retry-after"), now)
