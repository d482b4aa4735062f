"""What ``shared.http.idempotency`` keeps: the key, the request's fingerprint, the sealed
answer, and the key's row, written in the change's own transaction by :func:`claim_key`.

The rules they serve are in :mod:`shared.http.idempotency`; this is the storage side, which
the unit of work needs without the middleware.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from cryptography.fernet import Fernet
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
from starlette.types import Scope, Send

from shared.db import Base, write_gate

HEADER: Final = "Idempotency-Key"
MAX_KEY_CHARS: Final = 255
#: How often a process deletes the keys past their time (checked when it stores an answer).
PURGE_INTERVAL: Final = timedelta(minutes=10)
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
    """What the table keeps of a key: the key itself would open the answer sealed with it."""
    return hashlib.sha256(key.encode("ascii")).hexdigest()


def fingerprint(scope: Scope, body: bytes) -> str:
    """What makes two requests the same request: method, path, query and body."""
    digest = hashlib.sha256()
    for part in (scope["method"].encode(), scope.get("raw_path") or scope["path"].encode()):
        digest.update(part + b"\0")
    digest.update(scope.get("query_string", b"") + b"\0")
    digest.update(body)
    return digest.hexdigest()


def seal_box(organisation: str, key: str) -> Fernet:
    """The seal of one organisation's answer under one key: only a client with the key opens it."""
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


PENDING: ContextVar[PendingKey | None] = ContextVar("idempotency_key", default=None)


async def claim_key(session: AsyncSession) -> PendingKey | None:
    """Record the current request's key in ``session``'s transaction, once per request.

    Called by the unit of work just before it commits, beside the audit record. The
    primary key decides between concurrent first requests: the loser's insert fails
    (on PostgreSQL once the winner commits), and :class:`KeyAlreadyUsed` rolls its
    whole transaction back. Nothing to do outside a request with a key.
    """
    pending = PENDING.get()
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


def aware(moment: datetime) -> datetime:
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
