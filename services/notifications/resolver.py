"""Name resolution for webhook calls: one lookup per attempt, judged whole, then pinned.

The domain (``domain/urls.py``) decides which addresses may be called; this
adapter does the lookup (I/O) and hands back the address to connect to. The
HTTP client is then pointed at that address (``delivery_http.py``), never at
the name, so a second lookup that could answer differently never happens.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass

from services.notifications.domain.urls import (
    Endpoint,
    IPAddress,
    endpoint_of,
    literal_address,
    refusal,
)

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
