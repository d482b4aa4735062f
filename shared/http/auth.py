"""Bearer-token authentication: which organisation calls, with which scopes.

Tokens are JWTs with the claims ``sub`` and ``org`` (organisation code, see
:mod:`shared.organisations`), ``scope`` (space-separated, as in OAuth 2.0),
``iss``, ``aud``, ``iat``, ``exp`` and ``jti``.

By default the platform issues and verifies its own tokens with HS256 and the local
key (``PlatformSettings.signing_key``; ``taskforce token issue`` hands them out).
Moving to an external OIDC issuer is configuration only: with
``TASKFORCE_JWT_JWKS_URL`` set, tokens are verified against the issuer's published
keys (RS/ES/PS algorithms from ``jwt_algorithms``) and local issuing is refused,
since tokens signed with the local key would no longer be accepted.

Every token's lifetime (``exp - iat``) is capped at ``jwt_max_lifetime_minutes``, and a
token whose ``jti`` is on the revocation list (:mod:`shared.http.revocation`) is refused,
even one verified and remembered before it was revoked. ``sub`` names the person (or
system) acting; the audit trail records it beside the organisation.

Tokens are never logged and never echoed in responses; rejections say why in fixed
wording.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Final
from uuid import uuid4

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from shared.audit.context import note_caller
from shared.http.problems import Problem
from shared.http.revocation import RevocationList
from shared.http.verified_tokens import LEEWAY as LEEWAY
from shared.http.verified_tokens import VERIFIED_CACHE_SIZE as VERIFIED_CACHE_SIZE
from shared.http.verified_tokens import VERIFIED_CACHE_TTL as VERIFIED_CACHE_TTL
from shared.http.verified_tokens import VerifiedTokens as VerifiedTokens
from shared.organisations import get_organisation, is_known_organisation
from shared.settings import PlatformSettings

logger = logging.getLogger(__name__)


DEFAULT_TTL: Final = timedelta(hours=1)
JWKS_TIMEOUT_S: Final = 5.0
REQUIRED_CLAIMS: Final = ("iss", "aud", "sub", "iat", "exp", "jti")
_ASYMMETRIC_PREFIXES: Final = ("RS", "ES", "PS", "EdDSA")
_DEFAULT_ASYMMETRIC: Final = ("RS256", "ES256")
# RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
_SCOPE_TOKEN: Final = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]+$")


#: Fixed wording for a revoked token, so callers and tests can rely on it.
REVOKED: Final = "The bearer token has been revoked."
TOO_LONG_LIVED: Final = (
    "The bearer token's lifetime (exp - iat) exceeds the maximum this API accepts."
)


@dataclass(frozen=True)
class Caller:
    """The authenticated organisation behind a request, and the person acting for it.

    ``person`` is the token's ``sub``: who the audit trail names as the actor.
    ``token_id`` is its ``jti``: what ``taskforce token revoke`` takes.
    """

    organisation: str
    scopes: frozenset[str]
    token_id: str
    person: str | None = None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class TokenRejectedError(Exception):
    """The token does not authenticate anyone; ``reason`` is safe to show the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SigningKeysUnavailableError(Exception):
    """The external issuer's keys cannot be fetched: our problem, not the caller's."""


class LocalIssuingDisabledError(RuntimeError):
    """Tokens come from the external issuer once ``jwt_jwks_url`` is configured."""


def _local_algorithms(settings: PlatformSettings) -> list[str]:
    return [a for a in settings.jwt_algorithms if a.startswith("HS")] or ["HS256"]


def _jwks_algorithms(settings: PlatformSettings) -> list[str]:
    # Never HMAC with keys from a JWKS: that is the classic algorithm-confusion hole.
    chosen = [a for a in settings.jwt_algorithms if a.startswith(_ASYMMETRIC_PREFIXES)]
    return chosen or list(_DEFAULT_ASYMMETRIC)


def issue_token(
    settings: PlatformSettings,
    organisation: str,
    scopes: Iterable[str],
    ttl: timedelta = DEFAULT_TTL,
    *,
    now: datetime | None = None,
    person: str | None = None,
) -> str:
    """A signed token for ``person`` (``sub``; default the organisation itself) of
    ``organisation`` with ``scopes``, valid for ``ttl``.

    Raises :class:`shared.organisations.UnknownOrganisationError` for an unknown
    code, ``ValueError`` for a malformed scope or person, a non-positive ``ttl`` or one
    longer than ``jwt_max_lifetime_minutes``, and :class:`LocalIssuingDisabledError`
    when an external issuer is configured.
    """
    if settings.jwt_jwks_url:
        raise LocalIssuingDisabledError(
            "tokens are issued by the external issuer (TASKFORCE_JWT_JWKS_URL is set)"
        )
    code = get_organisation(organisation).code
    scope_set = set(scopes)
    for scope in scope_set:
        if not _SCOPE_TOKEN.match(scope):
            raise ValueError(f"invalid scope {scope!r}: use printable ASCII without spaces")
    if ttl <= timedelta(0):
        raise ValueError("the token lifetime must be positive")
    if ttl > max_lifetime(settings):
        raise ValueError(
            f"the token lifetime may be at most {settings.jwt_max_lifetime_minutes} minutes "
            "(TASKFORCE_JWT_MAX_LIFETIME_MINUTES)"
        )
    if person is not None and not _SCOPE_TOKEN.match(person):
        raise ValueError(f"invalid person {person!r}: use printable ASCII without spaces")
    issued = now or datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": person or code,
        "org": code,
        "scope": " ".join(sorted(scope_set)),
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
        "jti": str(uuid4()),
    }
    return jwt.encode(claims, settings.signing_key, algorithm=_local_algorithms(settings)[0])


def max_lifetime(settings: PlatformSettings) -> timedelta:
    return timedelta(minutes=settings.jwt_max_lifetime_minutes)


def token_id_of(token: str) -> str:
    """The ``jti`` of a token this process just issued (not a verification)."""
    return str(jwt.decode(token, options={"verify_signature": False})["jti"])


class TokenVerifier:
    """Verifies bearer tokens against the configured issuer.

    One per app (kept on ``app.state``) so that the JWKS client's key cache and
    the tokens verified before live as long as the process: checking a
    signature on every request of a client that reuses its token costs CPU for
    nothing.
    """

    def __init__(
        self, settings: PlatformSettings, *, jwks_client: jwt.PyJWKClient | None = None
    ) -> None:
        self.settings = settings
        if jwks_client is None and settings.jwt_jwks_url:
            jwks_client = jwt.PyJWKClient(
                settings.jwt_jwks_url, cache_keys=True, timeout=JWKS_TIMEOUT_S
            )
        self.jwks_client = jwks_client
        self._verified = VerifiedTokens()
        self.revocations = RevocationList(settings.revocation_file)

    def recall(self, token: str) -> Caller | None:
        """The caller of a token verified before and not expired since; None otherwise.

        A token revoked since it was remembered raises :class:`TokenRejectedError`: the
        cache must not outlive a revocation.
        """
        known = self._verified.get(token)
        if known is not None and self.revocations.is_revoked(known.token_id):
            raise TokenRejectedError(REVOKED)
        return known

    def verify(self, token: str) -> Caller:
        """The caller the token authenticates; :class:`TokenRejectedError` otherwise."""
        known = self.recall(token)
        if known is not None:
            return known
        try:
            claims = self._decode(token)
        except jwt.PyJWKClientConnectionError as exc:
            raise SigningKeysUnavailableError(
                "the token issuer's signing keys cannot be fetched"
            ) from exc
        except jwt.PyJWTError as exc:
            raise TokenRejectedError(_reason(exc)) from None
        lifetime = float(claims["exp"]) - float(claims["iat"])
        if lifetime > max_lifetime(self.settings).total_seconds():
            raise TokenRejectedError(TOO_LONG_LIVED)
        caller = _caller_from(claims)
        if self.revocations.is_revoked(caller.token_id):
            raise TokenRejectedError(REVOKED)
        self._verified.put(token, caller, float(claims["exp"]))
        return caller

    def _decode(self, token: str) -> dict[str, Any]:
        key: Any
        if self.jwks_client is not None:
            key = self.jwks_client.get_signing_key_from_jwt(token).key
            algorithms = _jwks_algorithms(self.settings)
        else:
            key = self.settings.signing_key
            algorithms = _local_algorithms(self.settings)
        return jwt.decode(
            token,
            key,
            algorithms=algorithms,
            audience=self.settings.jwt_audience,
            issuer=self.settings.jwt_issuer,
            leeway=LEEWAY,
            options={"require": list(REQUIRED_CLAIMS)},
        )


def _reason(exc: jwt.PyJWTError) -> str:
    """Fixed wording per failure: PyJWT's own messages are not meant for callers."""
    if isinstance(exc, jwt.ExpiredSignatureError):
        return "The bearer token has expired."
    if isinstance(exc, jwt.ImmatureSignatureError):
        return "The bearer token is not valid yet."
    if isinstance(exc, jwt.InvalidAudienceError):
        return "The bearer token was not issued for this API (audience)."
    if isinstance(exc, jwt.InvalidIssuerError):
        return "The bearer token comes from an issuer this API does not trust."
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"The bearer token lacks the {exc.claim!r} claim."
    if isinstance(exc, jwt.InvalidSignatureError):
        return "The bearer token's signature does not verify."
    if isinstance(exc, jwt.InvalidAlgorithmError):
        return "The bearer token is signed with an algorithm this API does not accept."
    if isinstance(exc, jwt.PyJWKClientError):
        return "No signing key of the trusted issuer matches the bearer token."
    if isinstance(exc, jwt.DecodeError):
        return "The bearer token is not a well-formed JWT."
    return "The bearer token is not valid."


def _caller_from(claims: dict[str, Any]) -> Caller:
    organisation = claims.get("org")
    if not isinstance(organisation, str) or not organisation:
        raise TokenRejectedError("The bearer token names no organisation ('org' claim).")
    if not is_known_organisation(organisation):
        raise TokenRejectedError("The bearer token names an organisation this API does not know.")
    raw_scope = claims.get("scope", "")
    if isinstance(raw_scope, str):
        scopes = frozenset(raw_scope.split())
    elif isinstance(raw_scope, list) and all(isinstance(s, str) for s in raw_scope):
        scopes = frozenset(raw_scope)
    else:
        raise TokenRejectedError("The bearer token's 'scope' claim is malformed.")
    return Caller(
        organisation=organisation,
        scopes=scopes,
        token_id=str(claims["jti"]),
        person=str(claims["sub"]),
    )


# --- FastAPI dependencies ---------------------------------------------------------

#: Declares the scheme in OpenAPI (``bearerAuth``); errors are answered below.
bearer_scheme = HTTPBearer(
    scheme_name="bearerAuth",
    bearerFormat="JWT",
    description="A JWT naming the calling organisation (`org`) and its scopes (`scope`).",
    auto_error=False,
)


def _verifier(request: Request) -> TokenVerifier:
    state = request.app.state
    verifier: TokenVerifier | None = getattr(state, "token_verifier", None)
    if verifier is None:
        verifier = TokenVerifier(state.settings)
        state.token_verifier = verifier
    return verifier


def _unauthorized(detail: str, challenge: str) -> Problem:
    return Problem(status=401, detail=detail, headers={"WWW-Authenticate": challenge})


async def _verify(verifier: TokenVerifier, token: str) -> Caller:
    """Verify on the event loop unless that may need I/O.

    A token verified before, or one checked against the local key (HMAC takes
    microseconds), needs none, and a hop to a worker thread would cost more than
    the check. Only an external issuer's token seen for the first time goes to a
    worker thread, so fetching the issuer's keys never blocks the event loop.
    """
    if verifier.jwks_client is None:
        return verifier.verify(token)
    known = verifier.recall(token)
    if known is not None:
        return known
    return await run_in_threadpool(verifier.verify, token)


async def authenticated_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Caller:
    """The verified caller, or a 401 problem."""
    verifier = _verifier(request)
    if credentials is None:
        # RFC 6750 section 3.1: no error code when no credentials were sent at all.
        realm = verifier.settings.jwt_audience
        raise _unauthorized(
            "This operation needs a bearer token (Authorization: Bearer <token>).",
            f'Bearer realm="{realm}"',
        )
    try:
        caller = await _verify(verifier, credentials.credentials)
    except TokenRejectedError as exc:
        logger.info("bearer token rejected: %s", exc.reason)
        raise _unauthorized(
            exc.reason, f'Bearer error="invalid_token", error_description="{exc.reason}"'
        ) from None
    except SigningKeysUnavailableError:
        logger.warning("cannot fetch the token issuer's signing keys", exc_info=True)
        raise Problem(
            status=503,
            detail="The token issuer's signing keys cannot be fetched; try again later.",
            headers={"Retry-After": "30"},
        ) from None
    note_caller(request.scope, caller)
    return caller


AuthenticatedCaller = Annotated[Caller, Depends(authenticated_caller)]


def require_scope(*required: str) -> Callable[[Caller], Awaitable[Caller]]:
    """A dependency: the caller, if the token carries every scope in ``required``.

    ``caller: Annotated[Caller, Depends(require_scope("programmes:write"))]``;
    a token without them gets 403.
    """
    needed = frozenset(required)

    async def scoped_caller(caller: AuthenticatedCaller) -> Caller:
        missing = sorted(needed - caller.scopes)
        if missing:
            raise Problem(
                status=403,
                detail="The bearer token lacks the scope(s) this operation needs: "
                + ", ".join(missing)
                + ".",
                headers={
                    "WWW-Authenticate": 'Bearer error="insufficient_scope", '
                    f'scope="{" ".join(sorted(needed))}"'
                },
            )
        return caller

    return scoped_caller
