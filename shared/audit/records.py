"""The audit table and its hash chain: append a record, check the whole chain.

Every record carries the hash of the one before it: ``hash = sha256(canonical(record))``
where the canonical encoding (sorted-key JSON, no whitespace) includes ``prev_hash``.
Changing any field of a record changes its hash, and removing a record breaks both the
sequence and the next record's ``prev_hash``, so :func:`verify_chain` finds an edited
record and a deleted one by their sequence numbers.

Appends are serialised so that two requests never chain onto the same predecessor: on
SQLite by the database's single writer (and this process's write gate in front of it),
on PostgreSQL by a transaction-scoped advisory lock (``pg_advisory_xact_lock`` on
:data:`CHAIN_LOCK`), taken before the last record is read and held until commit. The
sequence number is the primary key, so a fork would fail rather than be stored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import BigInteger, Column, Integer, String, Table, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from shared.db import Base

#: ``prev_hash`` of the first record.
GENESIS: Final = "0" * 64
#: The advisory-lock key appends take on PostgreSQL (any fixed 64-bit number; "audit").
CHAIN_LOCK: Final = 0x6175646974
_BATCH: Final = 1000

audit_record = Table(
    "audit_record",
    Base.metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("recorded_at", String(32), nullable=False),
    Column("service", String(32), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("actor", String(200), nullable=True),
    Column("organisation", String(32), nullable=True),
    Column("action", String(300), nullable=False),
    Column("object", String(500), nullable=False),
    Column("result", Integer, nullable=False),
    Column("origin", String(64), nullable=True),
    Column("token_id", String(200), nullable=True),
    Column("trace_id", String(32), nullable=True),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)


@dataclass(frozen=True)
class AuditEntry:
    """What one audit record says, before it gets its place in the chain.

    ``kind`` is ``write`` (a change was asked for), ``denied`` (401, 403, 404, 413, 429)
    or ``read`` (need-to-know text was handed out). Never a token, a secret or a body.
    """

    service: str
    kind: str
    actor: str | None
    organisation: str | None
    action: str
    object: str
    result: int
    origin: str | None
    token_id: str | None
    trace_id: str | None


_LIMITS: Final = {
    column.name: column.type.length
    for column in audit_record.columns
    if isinstance(column.type, String) and column.type.length
}


def _fit(values: dict[str, Any]) -> dict[str, Any]:
    """Cut over-long values (an attacker's path) to the column, before hashing."""
    return {
        key: value[: _LIMITS[key]] if isinstance(value, str) and key in _LIMITS else value
        for key, value in values.items()
    }


def canonical(row: dict[str, Any]) -> bytes:
    """The bytes a record's hash covers: every column but ``hash``, sorted-key JSON."""
    fields = {key: row[key] for key in sorted(audit_record.columns.keys()) if key != "hash"}
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def hash_of(row: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(row)).hexdigest()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


async def append(session: AsyncSession, entries: Sequence[AuditEntry]) -> list[int]:
    """Chain ``entries`` onto the trail in the session's transaction; their sequence numbers."""
    if not entries:
        return []
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    last = (
        await session.execute(
            select(audit_record.c.seq, audit_record.c.hash)
            .order_by(audit_record.c.seq.desc())
            .limit(1)
        )
    ).first()
    seq, previous = (int(last.seq), str(last.hash)) if last is not None else (0, GENESIS)
    rows = []
    recorded_at = _now()
    for entry in entries:
        seq += 1
        row = _fit({**asdict(entry), "seq": seq, "recorded_at": recorded_at})
        row["prev_hash"] = previous
        row["hash"] = previous = hash_of(row)
        rows.append(row)
    await session.execute(insert(audit_record), rows)
    return [row["seq"] for row in rows]


@dataclass(frozen=True)
class Finding:
    """Where the chain is broken, and how."""

    seq: int
    problem: str


@dataclass(frozen=True)
class ChainReport:
    records: int
    head_seq: int
    head_hash: str
    findings: list[Finding]

    @property
    def intact(self) -> bool:
        return not self.findings


async def _rows(connection: AsyncConnection) -> AsyncIterator[dict[str, Any]]:
    after = -1
    while True:
        batch = (
            await connection.execute(
                select(audit_record)
                .where(audit_record.c.seq > after)
                .order_by(audit_record.c.seq)
                .limit(_BATCH)
            )
        ).mappings()
        rows = [dict(row) for row in batch]
        if not rows:
            return
        for row in rows:
            yield row
        after = int(rows[-1]["seq"])


async def verify_chain(connection: AsyncConnection) -> ChainReport:
    """Walk the whole trail in order and say which records are missing or altered.

    A record whose own hash does not match its content was edited; a gap in the
    sequence, or a ``prev_hash`` that is not the previous record's hash, means records
    were removed (or inserted) there. Removing records from the very end leaves no
    gap: compare the head (``head_seq``, ``head_hash``) with one noted earlier.
    """
    findings: list[Finding] = []
    expected_seq, previous, count = 1, GENESIS, 0
    async for row in _rows(connection):
        count += 1
        seq = int(row["seq"])
        if seq != expected_seq:
            missing = f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq}-{seq - 1}"
            findings.append(Finding(seq, f"record(s) {missing} missing before record {seq}"))
        elif row["prev_hash"] != previous:
            findings.append(Finding(seq, f"record {seq} does not chain onto record {seq - 1}"))
        if hash_of(row) != row["hash"]:
            findings.append(Finding(seq, f"record {seq} was altered after it was written"))
        expected_seq, previous = seq + 1, str(row["hash"])
    return ChainReport(count, expected_seq - 1, previous, findings)
