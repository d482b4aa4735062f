"""Which addresses a webhook may reach, and the allow-list's form: table-driven, pure."""

from __future__ import annotations

import ipaddress

import pytest
from pydantic import ValidationError

from services.notifications.domain.urls import Endpoint, is_public, parse_allowed, refusal
from services.notifications.settings import NotificationsSettings


@pytest.mark.parametrize(
    ("address", "public"),
    [
        # globally routable
        ("8.8.8.8", True),
        ("93.184.215.14", True),
        ("2606:4700:4700::1111", True),
        ("2a00:1450:4001:82b::200e", True),
        # IPv4: private, loopback, link-local, shared, multicast, reserved, unspecified
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.10", False),
        ("127.0.0.1", False),
        ("127.255.255.254", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("100.127.255.254", False),
        ("0.0.0.0", False),
        ("0.1.2.3", False),
        ("224.0.0.1", False),
        ("239.255.255.250", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("192.0.0.8", False),
        ("192.0.2.1", False),
        ("198.18.0.1", False),
        ("198.51.100.7", False),
        ("203.0.113.9", False),
        # IPv6: loopback, unspecified, link-local, unique local, multicast, documentation
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("fd12:3456::1", False),
        ("fec0::1", False),
        ("ff02::1", False),
        ("ff0e::1", False),
        ("2001:db8::1", False),
        ("100::1", False),
        # IPv4 inside IPv6: mapped, compatible, 6to4, Teredo, NAT64 (public or not inside)
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:8.8.8.8", False),
        ("::127.0.0.1", False),
        ("::8.8.8.8", False),
        ("2002:7f00:1::1", False),
        ("2002:808:808::1", False),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),
        ("2001::1", False),
        ("64:ff9b::7f00:1", False),
        ("64:ff9b::808:808", False),
        ("64:ff9b:1::a00:1", False),
    ],
)
def test_only_globally_routable_addresses_are_public(address: str, public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public


def test_every_resolved_address_counts_not_just_the_first() -> None:
    endpoint = Endpoint("hooks.example.org", 443)
    public, loopback = ipaddress.ip_address("8.8.8.8"), ipaddress.ip_address("127.0.0.1")
    assert refusal(endpoint, [public], frozenset()) is None
    assert refusal(endpoint, [public, loopback], frozenset()) is not None
    assert refusal(endpoint, [], frozenset()) is not None
    assert refusal(endpoint, [loopback], frozenset({endpoint})) is None


@pytest.mark.parametrize(
    ("entry", "endpoint"),
    [
        ("127.0.0.1:8099", Endpoint("127.0.0.1", 8099)),
        ("LocalHost:9000", Endpoint("localhost", 9000)),
        ("[::1]:8099", Endpoint("::1", 8099)),
        (" 127.0.0.1:1 ", Endpoint("127.0.0.1", 1)),
    ],
)
def test_allow_list_entries_are_host_and_port(entry: str, endpoint: Endpoint) -> None:
    assert parse_allowed([entry]) == {endpoint}


@pytest.mark.parametrize(
    "entry",
    [
        "127.0.0.1",
        "localhost",
        "127.0.0.1:",
        "127.0.0.1:0",
        "127.0.0.1:99999",
        "127.0.0.1:http",
        "http://127.0.0.1:8099",
        "127.0.0.1:8099/hooks",
        "user@127.0.0.1:8099",
        "::1:8099",
        ":8099",
        "local host:8099",
        "",
    ],
)
def test_malformed_allow_list_entries_are_refused_at_start_up(entry: str) -> None:
    with pytest.raises(ValueError, match="host:port"):
        parse_allowed([entry])
    with pytest.raises(ValidationError, match="allow-list entry"):
        NotificationsSettings(allowed_hosts=["127.0.0.1:8099", entry])


def test_the_allow_list_is_read_from_the_environment_as_json(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TASKFORCE_NOTIFICATIONS_ALLOWED_HOSTS", '["127.0.0.1:8099"]')
    assert NotificationsSettings().allowed_endpoints == {Endpoint("127.0.0.1", 8099)}
    monkeypatch.setenv("TASKFORCE_NOTIFICATIONS_ALLOWED_HOSTS", '["127.0.0.1"]')
    with pytest.raises(ValidationError, match=r"'127\.0\.0\.1' is not host:port"):
        NotificationsSettings()
