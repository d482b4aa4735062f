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

import base64
import hashlib
import json
import logging
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.db import Base, write_gate
from shared.http.problems import InvalidParam, Problem

log = logging.getLogger(__name__)

HEADER: Final = "Idempotency-Key"
_HEADER_BYTES: Final = HEADER.lower().encode()
MAX_KEY_CHARS: Final = 255
#: How often a process deletes the keys past their time (checked when it stores an answer).
PURGE_INTERVAL: Final = timedelta(minutes=10)
#: Response headers not replayed: the connection's, or set afresh by outer middleware.
_NOT_REPLAYED: Final = frozenset(
    {b"date", b"server", b"connection", b"keep-alive", b"transfer-encoding", b"api-version"}
)
_SEAL_CONTEXT: Final = b"taskforce idempotent answer\0"

idempotency_key = Table(
    "idempotency_key",
    Base.metadata,
    Column("organisation", String(32), primary_key=True),
    #: SHA-256 of the key, hex: the key itself opens the stored answer, so it is not kept.
    Column("key_hash", String(64), primary_key=True),
    #: SHA-256 of the request (method, path, query, body), hex.
    Column("fingerprint", String(64), nullable=False),
    #: The first caller's scopes: a replay straight from storage needs at least these.
    Column("scopes", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
    Column("status", Integer, nullable=True),
    Column("answer", LargeBinary, nullable=True),
)


# -- the key ----------------------------------------------------------------------------


class MalformedKey(ValueError):
    """The header is not one structured-field string of printable ASCII; says why."""


def parse_key(values: list[bytes]) -> str:
    """The key a request's ``Idempotency-Key`` field lines carry (RFC 8941 section 3.3.3)."""
    if len(values) != 1:
        raise MalformedKey("The header is sent more than once.")
    raw = values[0].strip(b" \t")
    if len(raw) < 2 or raw[:1] != b'"' or raw[-1:] != b'"':
        raise MalformedKey('The key is not a quoted string, e.g. "8e03978e-40d5-43e8".')
    key: list[str] = []
    escaped = False
    for byte in raw[1:-1]:
        if not 0x20 <= byte <= 0x7E:
            raise MalformedKey("The key has a character that is not printable ASCII.")
        char = chr(byte)
        if escaped:
            if char not in '"\\':
                raise MalformedKey('Only " and \\ may follow a backslash in the key.')
            escaped = False
        elif char == "\\":
            escaped = True
            continue
        elif char == '"':
            raise MalformedKey("The key has an unescaped quote inside it.")
        key.append(char)
    if escaped:
        raise MalformedKey("The key ends in a lone backslash.")
    if not key:
        raise MalformedKey("The key is empty.")
    if len(key) > MAX_KEY_CHARS:
        raise MalformedKey(f"The key is longer than {MAX_KEY_CHARS} characters.")
    return "".join(key)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("ascii")).hexdigest()


def fingerprint(scope: Scope, body: bytes) -> str:
    """What makes two requests the same request: method, path, query and body."""
    digest = hashlib.sha256()
    for part in (scope["method"].encode(), scope.get("raw_path") or scope["path"].encode()):
        digest.update(part + b"\0")
    digest.update(scope.get("query_string", b"") + b"\0")
    digest.update(body)
    return digest.hexdigest()


def _box(organisation: str, key: str) -> Fernet:
    secret = hashlib.sha256(_SEAL_CONTEXT + organisation.encode() + b"\0" + key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(secret))


# -- the stored answer ------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """A response as the first request got it: status, headers (raw) and body."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes

    def sealed(self, box: Fernet) -> bytes:
        head = json.dumps([[n.decode("latin-1"), v.decode("latin-1")] for n, v in self.headers])
        return box.encrypt(head.encode() + b"\n" + self.body)

    @classmethod
    def opened(cls, status: int, sealed: bytes, box: Fernet) -> Answer:
        head, _, body = box.decrypt(sealed).partition(b"\n")
        headers = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in json.loads(head)]
        return cls(status, headers, body)

    async def send(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body})


# -- the key in the change's transaction ------------------------------------------------


class KeyAlreadyUsed(Exception):
    """Another request with this key committed first; this one's transaction rolls back."""


@dataclass
class PendingKey:
    """The key of the request in flight, until the unit of work records it."""

    organisation: str
    key_hash: str
    fingerprint: str
    scopes: str
    created_at: datetime
    expires_at: datetime
    #: The stored key is past its time: the claim deletes it first.
    replaces_expired: bool = False
    #: ``open`` until a unit of work records the key, ``claiming`` until that commits.
    state: str = "open"

    def committed(self) -> None:
        if self.state == "claiming":
            self.state = "committed"

    def abandoned(self) -> None:
        if self.state == "claiming":
            self.state = "open"


_PENDING: ContextVar[PendingKey | None] = ContextVar("idempotency_key", default=None)


async def claim_key(session: AsyncSession) -> PendingKey | None:
    """Record the current request's key in ``session``'s transaction, once per request.

    Called by the unit of work just before it commits, beside the audit record. The
    primary key decides between concurrent first requests: the loser's insert fails
    (on PostgreSQL once the winner commits), and :class:`KeyAlreadyUsed` rolls its
    whole transaction back. Nothing to do outside a request with a key.
    """
    pending = _PENDING.get()
    if pending is None or pending.state != "open":
        return None
    table = idempotency_key
    mine = (table.c.organisation == pending.organisation) & (table.c.key_hash == pending.key_hash)
    await session.flush()  # the change's own conflicts are its own, not the key's
    if pending.replaces_expired:
        await session.execute(delete(table).where(mine, table.c.expires_at <= pending.created_at))
    try:
        await session.execute(
            insert(table).values(
                organisation=pending.organisation,
                key_hash=pending.key_hash,
                fingerprint=pending.fingerprint,
                scopes=pending.scopes,
                created_at=pending.created_at,
                expires_at=pending.expires_at,
            )
        )
    except IntegrityError as exc:
        raise KeyAlreadyUsed(pending.key_hash) from exc
    pending.state = "claiming"
    return pending


# -- the keys of one app ----------------------------------------------------------------


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    """SQLite gives timestamps back without their zone; they were stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass
class IdempotencyKeys:
    """One app's keys: how long they are kept, which are in flight here, the clock."""

    retention: timedelta
    clock: Callable[[], datetime] = _utc_now
    #: (organisation, key hash) -> fingerprint of the requests being handled by this process.
    in_flight: dict[tuple[str, str], str] = field(default_factory=dict)
    last_purge: datetime | None = None

    async def stored(
        self, sessions: async_sessionmaker[AsyncSession], organisation: str, hashed: str
    ) -> Any:
        async with sessions() as session:
            result = await session.execute(
                select(idempotency_key).where(
                    idempotency_key.c.organisation == organisation,
                    idempotency_key.c.key_hash == hashed,
                )
            )
            return result.first()

    async def keep(
        self,
        sessions: async_sessionmaker[AsyncSession],
        pending: PendingKey,
        sealed: bytes,
        status: int,
    ) -> None:
        """Store the answer of a committed request; now and then purge expired keys."""
        now = self.clock()
        async with write_gate(sessions), sessions() as session, session.begin():
            await session.execute(
                update(idempotency_key)
                .where(
                    idempotency_key.c.organisation == pending.organisation,
                    idempotency_key.c.key_hash == pending.key_hash,
                )
                .values(status=status, answer=sealed)
            )
            if self.last_purge is None or now - self.last_purge >= PURGE_INTERVAL:
                await _purge(session, now)
                self.last_purge = now

    async def purge(self, sessions: async_sessionmaker[AsyncSession]) -> int:
        """Delete every key past its time; how many there were."""
        now = self.clock()
        async with write_gate(sessions), sessions() as session, session.begin():
            purged = await _purge(session, now)
        self.last_purge = now
        return purged


async def _purge(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(
        delete(idempotency_key).where(idempotency_key.c.expires_at <= now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


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
    from shared.http.auth import TokenVerifier

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
        expired = row is not None and _aware(row.expires_at) <= now
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
        token = _PENDING.set(pending)
        try:
            await self._first(scope, receive, send, keys, runtime, pending, organisation, key)
        finally:
            _PENDING.reset(token)
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
                sealed = answer.sealed(_box(organisation, key))
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
            answer = Answer.opened(row.status, row.answer, _box(organisation, key))
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
