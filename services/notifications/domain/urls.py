"""Which webhook URLs may be called, and at which addresses: pure rules, no I/O.

Rules, each reported separately:

- an absolute ``https`` URL with a host; ``http`` only for an allow-listed endpoint;
- no user name or password in the URL (they would end up in logs), no fragment;
- every address the host resolves to must be globally routable (``is_public``),
  unless the endpoint is allow-listed.

The allow-list is for local development and tests: exact ``host:port`` entries
(``127.0.0.1:8099``, ``[::1]:9000``, ``localhost:8099``), so allowing the local
receiver does not open every other port on loopback. Malformed entries are
refused when the settings are read (``parse_allowed``).

Name resolution itself is I/O and lives in the webhook transport
(``services/notifications/webhooks.py``): it resolves once, this module judges
every address it got, and the HTTP client connects to exactly the address
judged, so a name that answers a public address to the check and loopback to
the connect gets nowhere.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2000

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Ranges refused although some versions of ``ipaddress`` call parts of them global:
#: each either reaches an IPv4 address inside another network or is not routable.
_REFUSED_NETWORKS: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = (
    ipaddress.ip_network("0.0.0.0/8"),  # "this network"
    ipaddress.ip_network("100.64.0.0/10"),  # shared address space (carrier-grade NAT)
    ipaddress.ip_network("192.0.0.0/24"),  # IETF protocol assignments
    ipaddress.ip_network("198.18.0.0/15"),  # benchmarking
    ipaddress.ip_network("240.0.0.0/4"),  # reserved, and the broadcast address
    ipaddress.ip_network("::/96"),  # IPv4-compatible (deprecated), :: and ::1 included
    ipaddress.ip_network("::ffff:0:0/96"),  # IPv4-mapped
    ipaddress.ip_network("64:ff9b::/96"),  # NAT64, well-known prefix
    ipaddress.ip_network("64:ff9b:1::/48"),  # NAT64, local-use prefix
    ipaddress.ip_network("100::/64"),  # discard-only
    ipaddress.ip_network("2001::/23"),  # IETF protocol assignments, Teredo 2001::/32 included
    ipaddress.ip_network("2001:db8::/32"),  # documentation
    ipaddress.ip_network("2002::/16"),  # 6to4: carries an IPv4 address
    ipaddress.ip_network("fc00::/7"),  # unique local
    ipaddress.ip_network("fe80::/10"),  # link-local
    ipaddress.ip_network("fec0::/10"),  # site-local (deprecated)
    ipaddress.ip_network("ff00::/8"),  # multicast
)


def is_public(address: IPAddress) -> bool:
    """Whether a webhook may be sent to ``address``: globally routable unicast only."""
    same_family = (n for n in _REFUSED_NETWORKS if n.version == address.version)
    if any(address in network for network in same_family):
        return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


@dataclass(frozen=True, order=True)
class Endpoint:
    """A host and port as a webhook connection reaches them (``host`` lower-case, no brackets)."""

    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def parse_allowed(entries: Iterable[str]) -> frozenset[Endpoint]:
    """The allow-list from its ``host:port`` entries; ``ValueError`` naming the first bad one."""
    found: set[Endpoint] = set()
    for entry in entries:
        text = entry.strip()
        try:
            parts = urlsplit(f"//{text}")
            port = parts.port
        except ValueError:
            port = None
            parts = None
        host = (parts.hostname or "") if parts is not None else ""
        plain = parts is not None and f"//{text}" == f"//{parts.netloc}"
        odd = "@" in text or any(c.isspace() for c in text)
        if not text or not host or port is None or not plain or odd or port == 0:
            raise ValueError(
                f"allow-list entry {entry!r} is not host:port "
                "(e.g. 127.0.0.1:8099, localhost:8099, [::1]:8099)"
            )
        found.add(Endpoint(host.lower(), port))
    return frozenset(found)


def endpoint_of(url: str) -> Endpoint | None:
    """The host and port the URL connects to (the scheme's default port if none is given)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if not host or parts.scheme not in ("http", "https"):
        return None
    return Endpoint(host, port or (443 if parts.scheme == "https" else 80))


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def check_form(url: str, allowed: Collection[Endpoint]) -> list[str]:
    """What is wrong with the URL itself (no name resolution)."""
    if len(url) > MAX_URL_LENGTH:
        return [f"a webhook URL is at most {MAX_URL_LENGTH} characters"]
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a malformed port)
    except ValueError as exc:
        return [f"malformed URL: {exc}"]
    endpoint = endpoint_of(url)
    if endpoint is None:
        return ["must be an absolute https URL with a host"]
    host = endpoint.host
    reasons: list[str] = []
    is_allowed = endpoint in allowed
    if parts.scheme != "https" and not is_allowed:
        reasons.append(f"must use https (http only for allow-listed endpoints; {endpoint} is not)")
    if parts.username is not None or parts.password is not None:
        reasons.append("must not carry a user name or password")
    if parts.fragment:
        reasons.append("must not have a fragment")
    literal = literal_address(host)
    if not is_allowed and literal is not None and not is_public(literal):
        reasons.append(f"{host} is not a public address and not allow-listed")
    return reasons


def refusal(
    endpoint: Endpoint, addresses: Collection[IPAddress], allowed: Collection[Endpoint]
) -> str | None:
    """Why the resolved ``addresses`` may not be called, or ``None`` when every one may.

    Every address counts, not just the first: the connection uses one of them,
    and which one is up to the client and the network.
    """
    if not addresses:
        return f"{endpoint.host} does not resolve"
    if endpoint in allowed:
        return None
    for address in addresses:
        if not is_public(address):
            return f"{endpoint.host} resolves to an address that is not public"
    return None
