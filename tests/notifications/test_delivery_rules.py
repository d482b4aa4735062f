"""Pure rules of delivery: the retry schedule, Retry-After, URL safety, signatures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from services.notifications.domain.schedule import RetryPolicy, parse_retry_after
from services.notifications.domain.signing import is_valid_secret, new_secret, signed_headers
from services.notifications.domain.urls import check_form, parse_allowed
from services.notifications.webhooks import RefusedAddress, target_of

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_the_default_schedule_spans_about_a_day() -> None:
    policy = RetryPolicy()
    waits = [policy.nominal_delay(n) for n in range(1, policy.max_attempts)]
    assert waits == [25, 100, 400, 1600, 6400, 25600, 43200]
    assert 20 * 3600 < policy.nominal_total_s() < 22 * 3600
    assert not policy.gives_up_after(7) and policy.gives_up_after(8)


def test_jitter_stays_within_its_band() -> None:
    policy = RetryPolicy()
    assert policy.delay(2, rand=lambda low, high: low) == pytest.approx(80)
    assert policy.delay(2, rand=lambda low, high: high) == pytest.approx(120)


def test_retry_after_lengthens_but_is_capped() -> None:
    policy = RetryPolicy(max_delay_s=3600)
    middle = lambda low, high: (low + high) / 2  # noqa: E731
    assert policy.delay(1, 600, rand=middle) == 600
    assert policy.delay(1, 5, rand=middle) == 25
    assert policy.delay(1, 10**6, rand=middle) == 3600


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert parse_retry_after("120", NOW) == 120
    later = (NOW + timedelta(minutes=5)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert parse_retry_after(later, NOW) == 300
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None


@pytest.mark.parametrize(
    ("url", "allowed", "ok"),
    [
        ("https://alerts.example.org/hook", [], True),
        ("http://alerts.example.org/hook", [], False),
        ("http://127.0.0.1:9000/hook", ["127.0.0.1:9000"], True),
        ("http://127.0.0.1:9001/hook", ["127.0.0.1:9000"], False),
        ("http://localhost:9000/hook", ["127.0.0.1:9000"], False),
        ("https://127.0.0.1/hook", [], False),
        ("https://192.168.1.10/hook", [], False),
        ("https://[fe80::1]/hook", [], False),
        ("https://[::ffff:10.0.0.1]/hook", [], False),
        ("https://169.254.169.254/", [], False),
        ("https://a:b@alerts.example.org/", [], False),
        ("https://alerts.example.org/#x", [], False),
        ("ftp://alerts.example.org/", [], False),
        ("https://alerts.example.org:99999/", [], False),
    ],
)
def test_url_form(url: str, allowed: list[str], ok: bool) -> None:
    assert (check_form(url, parse_allowed(allowed)) == []) is ok


async def test_names_resolving_to_internal_addresses_are_refused() -> None:
    with pytest.raises(RefusedAddress):
        await target_of("https://localhost/hook", frozenset())
    allowed = parse_allowed(["localhost:443"])
    assert (await target_of("https://localhost/hook", allowed)).address.is_loopback
    with pytest.raises(RefusedAddress):
        await target_of("https://localhost:8443/hook", allowed)
    assert str((await target_of("https://8.8.8.8/hook", frozenset())).address) == "8.8.8.8"


def test_signatures_verify_as_a_receiver_checks_them() -> None:
    secret = new_secret()
    assert is_valid_secret(secret) and not is_valid_secret("whsec_short")
    body = '{"id":"x"}'
    now = datetime.now(UTC)
    headers = signed_headers("msg_1", now, body, [secret])
    assert Webhook(secret).verify(body, headers) == {"id": "x"}
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + " ", headers)


def test_during_rotation_both_secrets_verify() -> None:
    old, new = new_secret(), new_secret()
    headers = signed_headers("msg_2", datetime.now(UTC), "{}", [new, old])
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert Webhook(secret).verify("{}", headers) == {}
