"""Revocation by jti: honoured at once, by every verifier, cached tokens included."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from shared.cli import tokens as tokens_cli
from shared.http.auth import REVOKED, TokenRejectedError, TokenVerifier, issue_token
from shared.http.revocation import RevocationList, revoke
from tests.unit.test_auth import SECRET, bearer, client_for, make_settings


def test_a_revoked_token_is_refused_even_after_it_was_cached(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    verifier = TokenVerifier(settings)
    token = issue_token(settings, "bz", ["programmes:read"])
    other = issue_token(settings, "bz", ["programmes:read"])
    caller = verifier.verify(token)
    verifier.verify(other)
    assert verifier.recall(token) == caller  # remembered

    assert revoke(settings.revocation_file, caller.token_id, note="laptop lost")
    with pytest.raises(TokenRejectedError) as refused:
        verifier.verify(token)
    assert refused.value.reason == REVOKED
    with pytest.raises(TokenRejectedError):
        verifier.recall(token)
    assert verifier.verify(other).organisation == "bz"  # only that one
    # A verifier started after the revocation (another service) refuses it too.
    with pytest.raises(TokenRejectedError):
        TokenVerifier(settings).verify(token)


def test_a_revoked_token_gets_401_with_fixed_wording(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    client = client_for(settings)
    token = issue_token(settings, "kmar", ["programmes:read"])
    assert client.get("/v1/programmes/whoami", headers=bearer(token)).status_code == 200
    caller = TokenVerifier(settings).verify(token)
    revoke(settings.revocation_file, caller.token_id)
    response = client.get("/v1/programmes/whoami", headers=bearer(token))
    assert response.status_code == 401
    assert response.json()["detail"] == REVOKED
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_the_list_is_owner_only_and_reloaded_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "revoked-tokens"
    revocations = RevocationList(path)
    assert not revocations.is_revoked("a")
    assert revoke(path, "a")
    assert not revoke(path, "a")  # once is enough
    assert path.stat().st_mode & 0o777 == 0o600
    assert revocations.is_revoked("a") and not revocations.is_revoked("b")
    with path.open("a") as handle:
        handle.write("# a comment\nb revoked by hand\n")
    assert revocations.is_revoked("b")
    assert not revocations.is_revoked("#")
    with pytest.raises(ValueError):
        revoke(path, "two words")


def test_taskforce_token_revoke(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TASKFORCE_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("TASKFORCE_JWT_SECRET", SECRET)
    settings = make_settings(tmp_path)
    issued = CliRunner().invoke(tokens_cli.app, ["issue", "--org", "bz", "--scope", "x"])
    token = issued.stdout.strip()
    jti = TokenVerifier(settings).verify(token).token_id
    result = CliRunner().invoke(tokens_cli.app, ["revoke", jti, "--note", "left the ministry"])
    assert result.exit_code == 0, result.output
    assert jti in result.stderr
    assert (tmp_path / "secrets" / "revoked-tokens").read_text().startswith(jti + " revoked ")
    with pytest.raises(TokenRejectedError):
        TokenVerifier(settings).verify(token)
    bad = CliRunner().invoke(tokens_cli.app, ["revoke", "#x"])
    assert bad.exit_code == 2
