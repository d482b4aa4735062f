"""Token lifetime: capped at issue and at verification; the person (sub) becomes the caller's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import jwt
import pytest
from typer.testing import CliRunner

from shared.cli import tokens as tokens_cli
from shared.http.auth import TOO_LONG_LIVED, TokenRejectedError, TokenVerifier, issue_token
from shared.settings import PlatformSettings
from tests.unit.test_auth import SECRET, bearer, client_for, make_settings


def forged(settings: PlatformSettings, lifetime: timedelta, **extra: Any) -> str:
    """A correctly signed token with any lifetime, as a careless issuer would make it."""
    issued = datetime.now(UTC) - timedelta(minutes=1)
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": "j.jansen@minbuza.nl",
        "org": "bz",
        "scope": "programmes:read",
        "iat": int(issued.timestamp()),
        "exp": int((issued + lifetime).timestamp()),
        "jti": str(uuid4()),
        **extra,
    }
    return jwt.encode(claims, SECRET, algorithm="HS256")


def test_the_default_maximum_is_twelve_hours(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    assert settings.jwt_max_lifetime_minutes == 720
    verifier = TokenVerifier(settings)
    assert verifier.verify(forged(settings, timedelta(hours=12))).organisation == "bz"
    with pytest.raises(TokenRejectedError) as refused:
        verifier.verify(forged(settings, timedelta(hours=12, seconds=1)))
    assert refused.value.reason == TOO_LONG_LIVED


def test_a_too_long_lived_token_gets_401_with_fixed_wording(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, jwt_max_lifetime_minutes=30)
    token = forged(settings, timedelta(hours=1))
    response = client_for(settings).get("/v1/programmes/whoami", headers=bearer(token))
    assert response.status_code == 401
    assert response.json()["detail"] == TOO_LONG_LIVED


def test_issuing_refuses_a_lifetime_over_the_maximum(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, jwt_max_lifetime_minutes=90)
    issue_token(settings, "bz", [], timedelta(minutes=90))
    with pytest.raises(ValueError, match="at most 90 minutes"):
        issue_token(settings, "bz", [], timedelta(minutes=91))


def test_the_cli_refuses_a_lifetime_over_the_maximum(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TASKFORCE_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("TASKFORCE_JWT_SECRET", SECRET)
    args = ["issue", "--org", "bz", "--scope", "x", "--ttl-minutes", str(12 * 60 + 1)]
    result = CliRunner().invoke(tokens_cli.app, args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "at most 720 minutes" in result.stderr


def test_sub_is_the_person_and_jti_the_token_id(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    token = issue_token(settings, "ind", ["x"], person="p.devries@ind.nl")
    caller = TokenVerifier(settings).verify(token)
    assert caller.person == "p.devries@ind.nl"
    assert caller.organisation == "ind"
    assert caller.token_id == jwt.decode(token, options={"verify_signature": False})["jti"]
    # Without a person the token acts for the organisation as a whole.
    assert TokenVerifier(settings).verify(issue_token(settings, "ind", [])).person == "ind"
    with pytest.raises(ValueError, match="person"):
        issue_token(settings, "ind", [], person="two words")


def test_the_cli_names_the_person_and_prints_the_jti_on_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TASKFORCE_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("TASKFORCE_JWT_SECRET", SECRET)
    args = ["issue", "--org", "coa", "--scope", "x", "--person", "medewerker-17"]
    result = CliRunner().invoke(tokens_cli.app, args)
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["sub"] == "medewerker-17"
    assert f"taskforce token revoke {claims['jti']}" in result.stderr
