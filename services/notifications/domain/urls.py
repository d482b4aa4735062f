"""Which webhook URLs may be called: https, public addresses, unless allow-listed.

Rules, each reported separately:

- an absolute ``https`` URL with a host; ``http`` only for an allow-listed host;
- no user name or password in the URL (they would end up in logs), no fragment;
- the host must not be, or resolve to, a private, loopback, link-local,
  multicast, reserved or unspecified address, unless the host is allow-listed
  (the allow-list is for local development: ``127.0.0.1``, ``localhost``).

The same address check runs again before every delivery attempt, so a name
that later resolves to an internal address is refused then too. Redirects are
never followed (the HTTP client is built with ``follow_redirects=False``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Collection
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2000


def _is_internal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def check_form(url: str, allowed_hosts: Collection[str]) -> list[str]:
    """What is wrong with the URL itself (no name resolution)."""
    if len(url) > MAX_URL_LENGTH:
        return [f"a webhook URL is at most {MAX_URL_LENGTH} characters"]
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a malformed port)
    except ValueError as exc:
        return [f"malformed URL: {exc}"]
    host = (parts.hostname or "").lower()
    reasons: list[str] = []
    if parts.scheme not in ("http", "https") or not host:
        return ["must be an absolute https URL with a host"]
    allowed = host in {h.lower() for h in allowed_hosts}
    if parts.scheme != "https" and not allowed:
        reasons.append(f"must use https (http only for allow-listed hosts; {host} is not)")
    if parts.username is not None or parts.password is not None:
        reasons.append("must not carry a user name or password")
    if parts.fragment:
        reasons.append("must not have a fragment")
    if not allowed:
        try:
            literal = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            literal = None
        if literal is not None and _is_internal(literal):
            reasons.append(f"{host} is a private or link-local address and not allow-listed")
    return reasons


async def resolve_internal(url: str, allowed_hosts: Collection[str]) -> str | None:
    """Why the URL's host is refused after resolving it, or ``None`` when it may be called."""
    host = host_of(url)
    if host in {h.lower() for h in allowed_hosts}:
        return None
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        return f"{host} is a private or link-local address" if _is_internal(literal) else None
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError as exc:
        return f"{host} does not resolve ({exc.strerror or exc})"
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if _is_internal(address):
            return f"{host} resolves to a private or link-local address ({address})"
    return None
