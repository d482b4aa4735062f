"""Bearer tokens: issuing, verifying (local key and external JWKS), scopes, the CLI."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Annotated, Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient
from jwt.algorithms import RSAAlgorithm
from typer.testing import CliRunner

from shared.cli import tokens as tokens_cli
from shared.http import AuthenticatedCaller, Caller, TokenVerifier, create_api, require_scope
from shared.http.auth import LocalIssuingDisabledError, TokenRejectedError, issue_token
from shared.organisations import UnknownOrganisationError
from shared.settings import PlatformSettings

SECRET = "local-test-signing-key-" + "k" * 40


def make_settings(tmp_path: Path, **overrides: Any) -> PlatformSettings:
    values: dict[str, Any] = {"var_dir": tmp_path, "jwt_secret": SECRET, **overrides}
    return PlatformSettings(**values)


def guarded_router() -> APIRouter:
    router = APIRouter(prefix="/programmes")

    @router.get("/whoami")
    async def whoami(caller: AuthenticatedCaller) -> dict[str, Any]:
        return {"organisation": caller.organisation, "scopes": sorted(caller.scopes)}

    @router.post("", status_code=201)
    async def create(
        caller: Annotated[Caller, Depends(require_scope("programmes:write"))],
    ) -> dict[str, str]:
        return {"createdBy": caller.organisation}

    return router


def client_for(settings: PlatformSettings) -> TestClient:
    app = create_api(
        service="programmes",
        title="Programmes",
        description="d",
        version="1.0.0",
        settings=settings,
        routers=[guarded_router()],
    )
    return TestClient(app, raise_server_exceptions=False)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_unauthorized(response: Any, token: str | None, *, detail: str) -> None:
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["api-version"] == "1.0.0"
    body = response.json()
    assert body["status"] == 401 and body["title"] == "Unauthorized"
    assert detail in body["detail"]
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer ")
    if token is not None:
        assert 'error="invalid_token"' in challenge
        assert token not in response.text
        assert token not in challenge
        # Not even a recognisable part of it (header, payload or signature).
        for part in token.split("."):
            if len(part) > 8:
                assert part not in response.text


# --- issuing --------------------------------------------------------------------------


def test_issued_token_verifies_to_the_organisation_and_scopes(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    token = issue_token(settings, "ind", ["programmes:read", "monitoring:write"])
    caller = TokenVerifier(settings).verify(token)
    assert caller.organisation == "ind"
    assert caller.scopes == frozenset({"programmes:read", "monitoring:write"})
    assert caller.token_id

    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience=settings.jwt_audience)
    assert claims["sub"] == claims["org"] == "ind"
    assert claims["scope"] == "monitoring:write programmes:read"
    assert claims["iss"] == settings.jwt_issuer
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["jti"] == caller.token_id


def test_each_token_has_its_own_id(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    verifier = TokenVerifier(settings)
    first = verifier.verify(issue_token(settings, "bz", []))
    second = verifier.verify(issue_token(settings, "bz", []))
    assert first.token_id != second.token_id


def test_issuing_rejects_unknown_organisations_and_bad_input(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with pytest.raises(UnknownOrganisationError):
        issue_token(settings, "acme", ["programmes:write"])
    with pytest.raises(ValueError, match="scope"):
        issue_token(settings, "bz", ["programmes:write countries:write"])
    with pytest.raises(ValueError, match="positive"):
        issue_token(settings, "bz", [], timedelta(0))


def test_without_a_configured_secret_a_local_key_is_generated(tmp_path: Path) -> None:
    settings = PlatformSettings(var_dir=tmp_path, jwt_secret=None)
    token = issue_token(settings, "coa", ["x"])
    assert (tmp_path / "secrets" / "jwt-signing.key").exists()
    assert TokenVerifier(PlatformSettings(var_dir=tmp_path)).verify(token).organisation == "coa"


# --- the dependency -------------------------------------------------------------------


def test_valid_token_hands_the_caller_to_the_handler(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    client = client_for(settings)
    token = issue_token(settings, "kmar", ["programmes:read"])
    response = client.get("/v1/programmes/whoami", headers=bearer(token))
    assert response.status_code == 200
    assert response.json() == {"organisation": "kmar", "scopes": ["programmes:read"]}


def test_missing_token_is_401(tmp_path: Path) -> None:
    response = client_for(make_settings(tmp_path)).get("/v1/programmes/whoami")
    assert_unauthorized(response, None, detail="needs a bearer token")
    # RFC 6750 section 3.1: no error code when no credentials were sent.
    assert "error=" not in response.headers["www-authenticate"]


def test_other_authorization_scheme_is_401(tmp_path: Path) -> None:
    client = client_for(make_settings(tmp_path))
    response = client.get(
        "/v1/programmes/whoami", headers={"Authorization": "Basic YWxhZGRpbjpvcGVu"}
    )
    assert_unauthorized(response, None, detail="needs a bearer token")


def test_expired_token_is_401(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    token = issue_token(settings, "bz", ["programmes:read"], now=two_hours_ago)
    response = client_for(settings).get("/v1/programmes/whoami", headers=bearer(token))
    assert_unauthorized(response, token, detail="expired")


def test_token_signed_with_another_key_is_401(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    forger = make_settings(tmp_path, jwt_secret="not-the-platform-key-" + "x" * 40)
    token = issue_token(forger, "bz", ["programmes:write"])
    response = client_for(settings).post("/v1/programmes", headers=bearer(token))
    assert_unauthorized(response, token, detail="signature")


def test_tampered_claims_are_401(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    header, _, signature = issue_token(settings, "bz", ["programmes:read"]).split(".")
    claims = jwt.decode(
        issue_token(settings, "bz", ["programmes:write"]), options={"verify_signature": False}
    )
    forged_payload = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    token = f"{header}.{forged_payload}.{signature}"
    response = client_for(settings).post("/v1/programmes", headers=bearer(token))
    assert_unauthorized(response, token, detail="signature")


def test_token_for_another_audience_is_401(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    token = issue_token(settings.model_copy(update={"jwt_audience": "another-api"}), "bz", [])
    response = client_for(settings).get("/v1/programmes/whoami", headers=bearer(token))
    assert_unauthorized(response, token, detail="audience")


def test_token_from_another_issuer_is_401(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    token = issue_token(settings.model_copy(update={"jwt_issuer": "urn:elsewhere"}), "bz", [])
    response = client_for(settings).get("/v1/programmes/whoami", headers=bearer(token))
    assert_unauthorized(response, token, detail="issuer")


def test_token_for_an_unknown_organisation_is_401(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    now = int(datetime.now(UTC).timestamp())
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": "acme",
        "org": "acme",
        "scope": "programmes:write",
        "iat": now,
        "exp": now + 600,
        "jti": "1",
    }
    token = jwt.encode(claims, SECRET, algorithm="HS256")
    response = client_for(settings).post("/v1/programmes", headers=bearer(token))
    assert_unauthorized(response, token, detail="organisation")


def test_token_without_an_expiry_is_401(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": "bz",
        "org": "bz",
        "iat": int(datetime.now(UTC).timestamp()),
        "jti": "1",
    }
    token = jwt.encode(claims, SECRET, algorithm="HS256")
    response = client_for(settings).get("/v1/programmes/whoami", headers=bearer(token))
    assert_unauthorized(response, token, detail="'exp'")


def test_unsigned_token_is_401(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    claims = jwt.decode(issue_token(settings, "bz", ["x"]), options={"verify_signature": False})
    token = jwt.encode(claims, "", algorithm="none")
    response = client_for(settings).get("/v1/programmes/whoami", headers=bearer(token))
    assert_unauthorized(response, token, detail="algorithm")


def test_garbage_token_is_401(tmp_path: Path) -> None:
    response = client_for(make_settings(tmp_path)).get(
        "/v1/programmes/whoami", headers=bearer("not-a-jwt")
    )
    assert_unauthorized(response, "not-a-jwt", detail="well-formed")


def test_missing_scope_is_403(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    token = issue_token(settings, "dtv", ["programmes:read"])
    response = client_for(settings).post("/v1/programmes", headers=bearer(token))
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 403 and body["title"] == "Forbidden"
    assert "programmes:write" in body["detail"]
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
    assert token not in response.text


def test_required_scope_admits_the_caller(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    token = issue_token(settings, "am", ["programmes:write"])
    response = client_for(settings).post("/v1/programmes", headers=bearer(token))
    assert response.status_code == 201
    assert response.json() == {"createdBy": "am"}


def test_secured_operations_declare_the_bearer_scheme(tmp_path: Path) -> None:
    document = client_for(make_settings(tmp_path)).get("/v1/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": schemes["bearerAuth"]["description"],
    }
    post = document["paths"]["/programmes"]["post"]
    assert post["security"] == [{"bearerAuth": []}]
    assert {"401", "403"} <= set(post["responses"])
    assert "security" not in document["paths"]["/health"]["get"]


def test_rejections_are_logged_without_the_token(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(tmp_path)
    token = issue_token(settings, "bz", [], now=datetime.now(UTC) - timedelta(hours=3))
    with caplog.at_level("DEBUG"):
        client_for(settings).get("/v1/programmes/whoami", headers=bearer(token))
    assert "expired" in caplog.text
    assert token.split(".")[2] not in caplog.text
    assert SECRET not in caplog.text


# --- an external OIDC issuer: JWKS ----------------------------------------------------


class _JwksServer:
    """A local HTTP server publishing a JWKS, as an OIDC issuer does."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        body = json.dumps(jwks).encode()
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/.well-known/jwks.json"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> _JwksServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def jwks_server(
    rsa_key: rsa.RSAPrivateKey, monkeypatch: pytest.MonkeyPatch
) -> Iterator[_JwksServer]:
    for variable in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(variable, raising=False)
    jwk = json.loads(RSAAlgorithm.to_jwk(rsa_key.public_key()))
    jwk.update({"kid": "issuer-key-1", "use": "sig", "alg": "RS256"})
    with _JwksServer({"keys": [jwk]}) as server:
        yield server


def external_claims(settings: PlatformSettings, **overrides: Any) -> dict[str, Any]:
    now = int(datetime.now(UTC).timestamp())
    return {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": "client-7f3a",
        "org": "politie",
        "scope": "programmes:write",
        "iat": now,
        "exp": now + 600,
        "jti": "external-1",
        **overrides,
    }


def oidc_settings(tmp_path: Path, jwks_url: str) -> PlatformSettings:
    return make_settings(
        tmp_path,
        jwt_jwks_url=jwks_url,
        jwt_algorithms=["RS256"],
        jwt_issuer="https://login.example.org/realms/taskforce",
    )


def test_jwks_issuer_tokens_are_verified(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey, jwks_server: _JwksServer
) -> None:
    settings = oidc_settings(tmp_path, jwks_server.url)
    token = jwt.encode(
        external_claims(settings), rsa_key, algorithm="RS256", headers={"kid": "issuer-key-1"}
    )
    client = client_for(settings)
    response = client.post("/v1/programmes", headers=bearer(token))
    assert response.status_code == 201, response.text
    assert response.json() == {"createdBy": "politie"}
    client.post("/v1/programmes", headers=bearer(token))
    assert jwks_server.requests == 1  # keys are cached, not fetched per request


def test_jwks_mode_rejects_tokens_from_other_keys(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey, jwks_server: _JwksServer
) -> None:
    settings = oidc_settings(tmp_path, jwks_server.url)
    client = client_for(settings)

    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(
        external_claims(settings), other_key, algorithm="RS256", headers={"kid": "issuer-key-1"}
    )
    assert_unauthorized(
        client.post("/v1/programmes", headers=bearer(forged)), forged, detail="signature"
    )

    unknown_kid = jwt.encode(
        external_claims(settings), rsa_key, algorithm="RS256", headers={"kid": "rotated-away"}
    )
    assert_unauthorized(
        client.post("/v1/programmes", headers=bearer(unknown_kid)),
        unknown_kid,
        detail="signing key",
    )

    # A locally issued HS256 token no longer counts once an external issuer is configured.
    local = issue_token(make_settings(tmp_path, jwt_issuer=settings.jwt_issuer), "bz", ["x"])
    assert_unauthorized(
        client.get("/v1/programmes/whoami", headers=bearer(local)), local, detail="signing key"
    )


def test_jwks_mode_refuses_hmac_with_the_public_key(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey, jwks_server: _JwksServer
) -> None:
    settings = oidc_settings(tmp_path, jwks_server.url)
    public_pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    verifier = TokenVerifier(settings)
    # Build the classic algorithm-confusion token by hand (PyJWT refuses to sign it).
    header = jwt.utils.base64url_encode(
        json.dumps({"alg": "HS256", "typ": "JWT", "kid": "issuer-key-1"}).encode()
    )
    payload = jwt.utils.base64url_encode(json.dumps(external_claims(settings)).encode())
    signing_input = header + b"." + payload
    signature = jwt.utils.base64url_encode(
        hmac.new(public_pem, signing_input, hashlib.sha256).digest()
    )
    token = (signing_input + b"." + signature).decode()
    with pytest.raises(TokenRejectedError):
        verifier.verify(token)


def test_unreachable_jwks_is_503_not_401(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings = oidc_settings(tmp_path, f"http://127.0.0.1:{closed_port}/jwks.json")
    token = jwt.encode(
        external_claims(settings), rsa_key, algorithm="RS256", headers={"kid": "issuer-key-1"}
    )
    response = client_for(settings).post("/v1/programmes", headers=bearer(token))
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert token not in response.text


def test_local_issuing_is_refused_with_an_external_issuer(tmp_path: Path) -> None:
    settings = oidc_settings(tmp_path, "https://login.example.org/jwks.json")
    with pytest.raises(LocalIssuingDisabledError):
        issue_token(settings, "bz", ["programmes:write"])


# --- taskforce token issue ------------------------------------------------------------


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PlatformSettings:
    monkeypatch.setenv("TASKFORCE_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("TASKFORCE_JWT_SECRET", SECRET)
    monkeypatch.delenv("TASKFORCE_JWT_JWKS_URL", raising=False)
    return PlatformSettings()


def test_cli_prints_only_a_verifiable_token(cli_env: PlatformSettings) -> None:
    result = CliRunner().invoke(
        tokens_cli.app,
        ["issue", "--org", "tf-secretariaat", "--scope", "monitoring:write", "--scope", "a:b"],
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    caller = TokenVerifier(cli_env).verify(lines[0])
    assert caller.organisation == "tf-secretariaat"
    assert caller.scopes == {"monitoring:write", "a:b"}
    claims = jwt.decode(lines[0], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 60 * 60


def test_cli_ttl_minutes(cli_env: PlatformSettings) -> None:
    result = CliRunner().invoke(
        tokens_cli.app, ["issue", "--org", "bz", "--scope", "x", "--ttl-minutes", "5"]
    )
    assert result.exit_code == 0, result.output
    claims = jwt.decode(result.stdout.strip(), options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 5 * 60


def test_cli_unknown_organisation_exits_2(cli_env: PlatformSettings) -> None:
    result = CliRunner().invoke(tokens_cli.app, ["issue", "--org", "acme", "--scope", "x"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "unknown organisation code 'acme'" in result.stderr


def test_cli_is_mounted_as_taskforce_token(cli_env: PlatformSettings) -> None:
    from shared.cli import app as root_app

    result = CliRunner().invoke(root_app, ["token", "issue", "--org", "coa", "--scope", "x"])
    assert result.exit_code == 0, result.output
    assert TokenVerifier(cli_env).verify(result.stdout.strip()).organisation == "coa"
