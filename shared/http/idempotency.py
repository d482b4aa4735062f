"""Idempotent POSTs: a retried request with the same ``Idempotency-Key`` takes effect once.

After the IETF httpapi draft "The Idempotency-Key HTTP Header Field"
(draft-ietf-httpapi-idempotency-key-header). A client that retries a ``POST`` after a
timeout sends the same key; the service then answers the first answer again (status,
body, ``Location`` and the other headers) instead of doing the work a second time.

The rules, for every ``POST`` of every service (:class:`IdempotencyMiddleware`,
installed once by ``create_api``):

- the key is a structured-field string (RFC 8941), ``Idempotency-Key: "<key>"``, of 1 to
  :data:`MAX_KEY_CHARS` printable ASCII characters; anything else is a 400 naming the
  header. Without the header a request is handled exactly as before, at the cost of one
  scan of the request headers;
- keys belong to the calling organisation (the bearer token's ``org``): two
  organisations' equal keys never meet. A key is kept for
  ``PlatformSettings.idempotency_key_retention_hours`` (default 24) and purged after;
- the same key with the same request (method, path, query and body, compared by a
  SHA-256 fingerprint) is answered from what was stored; with another request, a 422;
  while the first request with the key is still being handled, a 409;
- the key is recorded **in the transaction of the change** (the unit of work calls
  :func:`claim_key` beside the audit record), with the organisation and key as primary
  key: of two concurrent first requests, on SQLite or PostgreSQL, one commits and the
  other fails on the key and is rolled back, effect and events included. The answer is
  stored right after the commit, before it is sent. If the process stops in between,
  a retry finds the key without an answer and gets a 409 saying the first request took
  effect (and that the resource can be read), never a second effect;
- only answers that follow a committed change are kept: a refusal (4xx) changed
  nothing, so its key stays free and a corrected retry may use it. A 5xx after the
  commit is not kept either: the retry gets the 409 above, which says more than a 500.

Stored answers may hold secrets shown once (a webhook subscription's signing secret),
so they are sealed with a key derived from the client's own idempotency key, and the
table holds only that key's hash: the database alone does not open them.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any, Final

from cryptography.fernet import InvalidToken
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.http.auth import TokenVerifier
from shared.http.idempotency_keys import (
    HEADER,
    MAX_KEY_CHARS,
    PENDING,
    Answer,
    IdempotencyKeys,
    KeyAlreadyUsed,
    MalformedKey,
    PendingKey,
    aware,
    claim_key,
    fingerprint,
    idempotency_key,
    key_hash,
    parse_key,
    seal_box,
)
from shared.http.problems import InvalidParam, Problem

log = logging.getLogger(__name__)

_HEADER_BYTES: Final = HEADER.lower().encode()
#: Response headers not replayed: the connection's, or set afresh by outer middleware.
_NOT_REPLAYED: Final = frozenset(
    {b"date", b"server", b"connection", b"keep-alive", b"transfer-encoding", b"api-version"}
)


# -- the middleware ---------------------------------------------------------------------


def _problem(status: int, title: str, detail: str, *, reason: str | None = None) -> Problem:
    params = [InvalidParam(name=HEADER, location="header", reason=reason)] if reason else []
    headers = {"Retry-After": "1"} if status == 409 else None
    return Problem(
        status=status, title=title, detail=detail, invalid_params=params, headers=headers
    )


async def _send_problem(problem: Problem, scope: Scope, send: Send) -> None:
    body = json.dumps(problem.body(str(scope.get("path", "/")))).encode()
    headers = [(b"content-type", b"application/problem+json")]
    headers += [(n.lower().encode(), v.encode()) for n, v in problem.headers.items()]
    headers.append((b"content-length", str(len(body)).encode()))
    await Answer(problem.status, headers, body).send(send)


IN_FLIGHT: Final = "The first request with this Idempotency-Key is still being handled."
OTHER_REQUEST: Final = (
    "This Idempotency-Key was used for a different request (method, path or body); "
    "a new request needs a new key."
)
ANSWER_LOST: Final = (
    "The first request with this Idempotency-Key took effect, but its answer is not stored: "
    "it is still on its way, or it was lost (the service stopped in between, or the answer "
    "was an error of the service's own). The change is there to be read; do not send the "
    "request again under a new key."
)


def _runtime(scope: Scope) -> Any:
    app = scope.get("app")
    return getattr(getattr(app, "state", None), "runtime", None)


async def _caller_of(scope: Scope) -> tuple[str, frozenset[str]] | None:
    """The organisation and scopes the bearer token names, verified; None if it names none.

    The route's own authentication still decides: this only says whose keys to look in.
    The app's verifier is shared, so the route finds the token already verified.
    """
    scheme, _, token = (Headers(scope=scope).get("authorization") or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    state = scope["app"].state
    verifier: TokenVerifier | None = getattr(state, "token_verifier", None)
    if verifier is None:
        verifier = state.token_verifier = TokenVerifier(state.settings)
    try:
        caller = verifier.recall(token)
        if caller is None:
            verify = verifier.verify
            caller = (
                verify(token)
                if verifier.jwks_client is None
                else await run_in_threadpool(verify, token)
            )
    except Exception:
        return None  # the route answers 401 (or 503) in its own words
    return caller.organisation, caller.scopes


class IdempotencyMiddleware:
    """Answers a retried ``POST`` from what its first request left (see the module).

    Inside the audit middleware, so the trail records what the caller got, replays
    included; outside the routes, so a replay runs none of their checks again.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        values = [value for name, value in scope["headers"] if name == _HEADER_BYTES]
        runtime = _runtime(scope) if values else None
        if runtime is None:
            await self.app(scope, receive, send)
            return
        try:
            key = parse_key(values)
        except MalformedKey as exc:
            detail = f"The {HEADER} header is malformed: {exc}"
            await _send_problem(_problem(400, "Bad Request", detail, reason=str(exc)), scope, send)
            return
        caller = await _caller_of(scope)
        if caller is None:
            await self.app(scope, receive, send)
            return
        body, receive = await _read_body(receive)
        keys: IdempotencyKeys = scope["app"].state.idempotency
        await self._handle(scope, receive, send, keys, runtime, key, caller, body)

    async def _handle(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        keys: IdempotencyKeys,
        runtime: Any,
        key: str,
        caller: tuple[str, frozenset[str]],
        body: bytes,
    ) -> None:
        organisation, scopes = caller
        hashed, request = key_hash(key), fingerprint(scope, body)
        slot = (organisation, hashed)
        if slot in keys.in_flight:
            await self._refuse_in_flight(keys.in_flight[slot] == request, scope, send)
            return
        now = keys.clock()
        row = await keys.stored(runtime.sessions, organisation, hashed)
        expired = row is not None and aware(row.expires_at) <= now
        if (
            row is not None
            and not expired
            and (row.fingerprint != request or scopes >= frozenset(row.scopes.split()))
        ):
            await self._answer_stored(row, organisation, key, request, scope, send)
            return
        pending = PendingKey(
            organisation,
            hashed,
            request,
            " ".join(sorted(scopes)),
            now,
            now + keys.retention,
            replaces_expired=expired,
        )
        keys.in_flight[slot] = request
        token = PENDING.set(pending)
        try:
            await self._first(scope, receive, send, keys, runtime, pending, organisation, key)
        finally:
            PENDING.reset(token)
            keys.in_flight.pop(slot, None)

    async def _first(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        keys: IdempotencyKeys,
        runtime: Any,
        pending: PendingKey,
        organisation: str,
        key: str,
    ) -> None:
        """Handle the request; keep its answer if its change committed, then send it."""
        start: list[Message] = []
        chunks: list[bytes] = []

        async def hold(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.append(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await self.app(scope, receive, hold)
        except KeyAlreadyUsed:
            row = await keys.stored(runtime.sessions, organisation, pending.key_hash)
            if row is None:  # the winner's key expired and was purged meanwhile: unlikely
                await _send_problem(_problem(409, "Conflict", IN_FLIGHT), scope, send)
                return
            await self._answer_stored(row, organisation, key, pending.fingerprint, scope, send)
            return
        if not start:
            return  # the client went away: nothing was answered
        status = int(start[0]["status"])
        headers = [(n, v) for n, v in start[0].get("headers", []) if n not in _NOT_REPLAYED]
        answer = Answer(status, headers, b"".join(chunks))
        if pending.state == "committed" and status < 500:
            try:
                sealed = answer.sealed(seal_box(organisation, key))
                await keys.keep(runtime.sessions, pending, sealed, status)
            except Exception:
                # The change is durable; a retry gets the honest 409 instead of this answer.
                log.exception("idempotency: the answer of a committed request was not kept")
        await send(start[0])
        await send({"type": "http.response.body", "body": answer.body})

    @staticmethod
    async def _refuse_in_flight(same: bool, scope: Scope, send: Send) -> None:
        if same:
            problem = _problem(409, "Request in progress", IN_FLIGHT)
        else:
            problem = _problem(422, "Idempotency key reused", OTHER_REQUEST, reason=OTHER_REQUEST)
        await _send_problem(problem, scope, send)

    @staticmethod
    async def _answer_stored(
        row: Any, organisation: str, key: str, request: str, scope: Scope, send: Send
    ) -> None:
        if row.fingerprint != request:
            problem = _problem(422, "Idempotency key reused", OTHER_REQUEST, reason=OTHER_REQUEST)
            await _send_problem(problem, scope, send)
            return
        if row.answer is None or row.status is None:
            await _send_problem(_problem(409, "Request took effect", ANSWER_LOST), scope, send)
            return
        try:
            answer = Answer.opened(row.status, row.answer, seal_box(organisation, key))
        except (InvalidToken, ValueError):
            log.error("idempotency: a stored answer does not open with its key")
            await _send_problem(_problem(409, "Request took effect", ANSWER_LOST), scope, send)
            return
        await answer.send(send)


async def _read_body(receive: Receive) -> tuple[bytes, Receive]:
    """The whole request body (the body limit has bounded it), and a receive that replays it."""
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            break
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")

    async def replay() -> Message:
        if messages:
            return messages.pop(0)
        return await receive()

    return body, replay


def install_idempotency(app: Any, *, retention_hours: int) -> None:
    """Give ``app`` its keys and the middleware (call before adding the audit middleware)."""
    app.state.idempotency = IdempotencyKeys(retention=timedelta(hours=retention_hours))
    app.add_middleware(IdempotencyMiddleware)


# -- the OpenAPI document ---------------------------------------------------------------

PARAMETER: Final = "IdempotencyKey"
_DOCUMENTED: Final = {
    "400": "The `Idempotency-Key` header is malformed (`invalidParams` names it).",
    "409": "The first request with the same `Idempotency-Key` is still being handled, or it "
    "took effect and its answer was not kept.",
    "422": "The `Idempotency-Key` was used before for a different request.",
}


def document_keys(document: dict[str, Any]) -> dict[str, Any]:
    """Declare the header once (a reusable parameter) and refer to it from every POST.

    Runs on the conformed document, so the refusals it adds carry the API-Version header
    and the problem schema as the others do.
    """
    components = document.setdefault("components", {})
    components.setdefault("parameters", {})[PARAMETER] = {
        "name": HEADER,
        "in": "header",
        "required": False,
        "description": (
            "Makes a retry of this POST safe (draft-ietf-httpapi-idempotency-key-header): a "
            "structured-field string of 1 to 255 printable ASCII characters, e.g. a UUID in "
            "quotes, unique per request. The same key with the same request gets the first "
            "answer again, with no second effect, for "
            "`TASKFORCE_IDEMPOTENCY_KEY_RETENTION_HOURS` (default 24) hours; keys are the "
            "calling organisation's own. Refusals (4xx) are not kept."
        ),
        "schema": {
            "type": "string",
            "minLength": 3,
            "maxLength": 2 + 2 * MAX_KEY_CHARS,
            "pattern": r'^"(?:[ !#-\[\]-~]|\\["\\])+"$',
            "examples": ['"8e03978e-40d5-43e8-bc93-6894a57f9324"'],
        },
    }
    for item in document.get("paths", {}).values():
        operation = item.get("post")
        if operation is None:
            continue
        operation.setdefault("parameters", []).append(
            {"$ref": f"#/components/parameters/{PARAMETER}"}
        )
        responses: dict[str, Any] = operation.setdefault("responses", {})
        for status, description in _DOCUMENTED.items():
            known = responses.get(status)
            if known is None:
                responses[status] = {
                    "description": description,
                    "headers": {"API-Version": {"$ref": "#/components/headers/API-Version"}},
                    "content": {
                        "application/problem+json": {
                            "schema": {"$ref": "#/components/schemas/ProblemDetails"}
                        }
                    },
                }
            elif "$ref" not in known and description not in known.get("description", ""):
                also = description[:1].lower() + description[1:]
                known["description"] = f"{known.get('description', '').rstrip()} Or: {also}"
        operation["responses"] = dict(sorted(responses.items()))
    return document


__all__ = [
    "HEADER",
    "MAX_KEY_CHARS",
    "Answer",
    "IdempotencyKeys",
    "IdempotencyMiddleware",
    "KeyAlreadyUsed",
    "MalformedKey",
    "PendingKey",
    "claim_key",
    "document_keys",
    "fingerprint",
    "idempotency_key",
    "install_idempotency",
    "key_hash",
    "parse_key",
]
