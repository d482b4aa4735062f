"""Verified tokens are remembered: a client reusing its token is not checked on every request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shared.http.auth import (
    LEEWAY,
    VERIFIED_CACHE_TTL,
    Caller,
    TokenRejectedError,
    TokenVerifier,
    VerifiedTokens,
    issue_token,
)
from tests.unit.test_auth import make_settings


def _no_decoding(token: str) -> dict[str, Any]:
    raise AssertionError("the token was decoded again")


def test_a_verified_token_is_not_checked_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path)
    verifier = TokenVerifier(settings)
    token = issue_token(settings, "bz", ["monitoring:write"])
    first = verifier.verify(token)
    monkeypatch.setattr(verifier, "_decode", _no_decoding)
    assert verifier.verify(token) == first
    assert verifier.recall(token) == first
    with pytest.raises(AssertionError):
        verifier.verify(issue_token(settings, "bz", ["monitoring:write"]))


def test_rejected_tokens_are_rejected_every_time(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    verifier = TokenVerifier(settings)
    expired = issue_token(settings, "bz", [], now=datetime.now(UTC) - timedelta(hours=2))
    for _ in range(2):
        with pytest.raises(TokenRejectedError, match="expired"):
            verifier.verify(expired)
    assert verifier.recall(expired) is None


def test_a_remembered_token_is_forgotten_when_it_expires(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path)
    verifier = TokenVerifier(settings)
    now = datetime.now(UTC)
    token = issue_token(settings, "bz", [], timedelta(seconds=60), now=now)
    verifier.verify(token)
    later = now.timestamp() + 60 + LEEWAY.total_seconds()
    monkeypatch.setattr("shared.http.verified_tokens.time.time", lambda: later - 1)
    assert verifier.recall(token) is not None
    monkeypatch.setattr("shared.http.verified_tokens.time.time", lambda: later + 1)
    assert verifier.recall(token) is None


def test_a_long_lived_token_is_checked_again_after_the_cache_ttl(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cache = VerifiedTokens()
    start = 1_000_000.0
    monkeypatch.setattr("shared.http.verified_tokens.time.time", lambda: start)
    cache.put("t", Caller("bz", frozenset(), "j"), expires=start + 86_400)
    ttl = VERIFIED_CACHE_TTL.total_seconds()
    monkeypatch.setattr("shared.http.verified_tokens.time.time", lambda: start + ttl - 1)
    assert cache.get("t") is not None
    monkeypatch.setattr("shared.http.verified_tokens.time.time", lambda: start + ttl + 1)
    assert cache.get("t") is None


def test_the_cache_is_bounded_and_keeps_the_recently_used() -> None:
    cache = VerifiedTokens(size=2)
    far = datetime.now(UTC).timestamp() + 3600
    callers = {t: Caller("bz", frozenset(), t) for t in ("a", "b", "c")}
    cache.put("a", callers["a"], far)
    cache.put("b", callers["b"], far)
    assert cache.get("a") == callers["a"]  # "b" is now the least recently used
    cache.put("c", callers["c"], far)
    assert cache.get("b") is None
    assert cache.get("a") == callers["a"] and cache.get("c") == callers["c"]
