"""The lease that makes one relay replica the publisher of a service's outbox.

Every replica's relay asks for the lease; one holds it at a time and only the
holder publishes, so rows go out in ``id`` order from a single producer.

- **Taking** is one conditional ``UPDATE``: holder and ``epoch + 1`` are set only
  where the lease has expired on the database's clock. On PostgreSQL the row lock
  makes a second, concurrent ``UPDATE`` re-read the row and find it no longer
  expired; on SQLite writes are serialized anyway. The very first lease is an
  ``INSERT ... ON CONFLICT DO NOTHING``: one replica inserts, the others find the row.
- **Renewing** (every ``renew_every`` seconds) and every write the holder makes
  (``guard``, which renews too) are conditional on holder *and* epoch: once another
  replica has taken the lease, a paused holder's writes change nothing and it
  learns it lost.
- **Releasing** on a clean stop expires the lease at once, so a replica that stays
  takes over on its next attempt instead of after the TTL.

The holder trusts the lease locally only until ``ttl - 2 * renew_every`` after it
*asked* for the last renewal, which is before the database recorded it: it stops
committing well before another replica can take over. A replica killed -9 is
replaced within ``ttl`` plus one attempt interval.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from typing import Any

from sqlalchemy import ColumnElement, CursorResult, Float, literal_column, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db import write_gate
from shared.outbox_tables import OutboxLease

log = logging.getLogger(__name__)


class LeaseLost(RuntimeError):
    """Another replica holds the outbox lease now: this one must stop publishing."""


def database_now(dialect: str) -> ColumnElement[float]:
    """Seconds since the Unix epoch on the database's clock (one clock for every replica)."""
    if dialect == "postgresql":
        return literal_column("extract(epoch from clock_timestamp())", Float)
    return literal_column("((julianday('now') - 2440587.5) * 86400.0)", Float)


def replica_name() -> str:
    """Who a lease holder is: host and process, and a nonce for a restarted process."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Lease:
    """One replica's view of the lease named ``name`` in the sessions' database."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        name: str,
        *,
        ttl: float = 5.0,
        renew_every: float = 1.0,
        holder: str | None = None,
    ) -> None:
        if ttl < 3 * renew_every:
            raise ValueError("the lease's TTL must be at least three renewal intervals")
        self.sessions = sessions
        self.name = name
        self.ttl = ttl
        self.renew_every = renew_every
        self.holder = holder or replica_name()
        #: The epoch this replica holds, or ``None`` when it does not hold the lease.
        self.epoch: int | None = None
        self._asked_at = 0.0

    @property
    def held(self) -> bool:
        """Held, and still safe to act on: well before anyone else could take it."""
        return self.epoch is not None and time.monotonic() < self._asked_at + self.ttl - 2 * (
            self.renew_every
        )

    @property
    def renewal_due(self) -> bool:
        return time.monotonic() >= self._asked_at + self.renew_every

    def seconds_to_renewal(self) -> float:
        return max(0.0, self._asked_at + self.renew_every - time.monotonic())

    async def hold(self, *, now: bool = False) -> bool:
        """Renew the lease if due (or ``now``), or try to take it; whether this replica holds it."""
        if self.epoch is not None and not self.renewal_due and not now:
            return self.held
        asked = time.monotonic()
        async with write_gate(self.sessions), self.sessions() as session, session.begin():
            if self.epoch is not None:
                renewed = await self._renew(session)
                if not renewed:
                    log.warning("outbox lease %s: lost to another replica", self.name)
                    self.epoch = None
            if self.epoch is None:
                self.epoch = await self._take(session)
                if self.epoch is not None:
                    log.info("outbox lease %s: taken, epoch %d", self.name, self.epoch)
        if self.epoch is not None:
            self._asked_at = asked
        return self.epoch is not None

    async def _renew(self, session: AsyncSession) -> bool:
        result = await session.execute(
            self._mine().values(expires_at=database_now(_dialect(session)) + self.ttl)
        )
        return _rowcount(result) == 1

    async def _take(self, session: AsyncSession) -> int | None:
        now = database_now(_dialect(session))
        taken = await session.execute(
            update(OutboxLease)
            .where(OutboxLease.name == self.name, OutboxLease.expires_at < now)
            .values(holder=self.holder, epoch=OutboxLease.epoch + 1, expires_at=now + self.ttl)
            .returning(OutboxLease.epoch)
        )
        epoch = taken.scalar_one_or_none()
        if epoch is not None:
            return int(epoch)
        insert = pg_insert if _dialect(session) == "postgresql" else sqlite_insert
        first = await session.execute(
            insert(OutboxLease)
            .values(name=self.name, holder=self.holder, epoch=1, expires_at=now + self.ttl)
            .on_conflict_do_nothing(index_elements=[OutboxLease.name])
            .returning(OutboxLease.epoch)
        )
        created = first.scalar_one_or_none()
        return None if created is None else int(created)

    async def guard(self, session: AsyncSession, **values: Any) -> None:
        """Within the holder's transaction: still ours, or ``LeaseLost`` (roll it back).

        ``values`` are written to the lease row in the same statement (``in_doubt``),
        which also renews the lease. A guard finds the holder's epoch unchanged even
        when a long batch let the lease run past its local margin, as long as no
        other replica took it meanwhile; the renewal then makes it safe to commit
        the batch, instead of giving up a batch whose sends all succeeded (under
        load, batch after batch: the relay would never get one out).
        """
        if self.epoch is None:
            raise LeaseLost(self.name)
        asked = time.monotonic()
        renewed = database_now(_dialect(session)) + self.ttl
        result = await session.execute(self._mine().values(expires_at=renewed, **values))
        if _rowcount(result) != 1:
            self.epoch = None
            raise LeaseLost(self.name)
        self._asked_at = asked

    async def in_doubt(self) -> list[int]:
        """The batch the previous holder was committing when it stopped, if any."""
        async with self.sessions() as session:
            found = await session.scalar(
                select(OutboxLease.in_doubt).where(OutboxLease.name == self.name)
            )
        return [int(row_id) for row_id in found or []]

    async def release(self) -> None:
        """Give the lease up at once (clean stop): the next replica need not wait the TTL."""
        if self.epoch is None:
            return
        async with write_gate(self.sessions), self.sessions() as session, session.begin():
            await session.execute(self._mine().values(expires_at=0.0))
        log.info("outbox lease %s: released", self.name)
        self.epoch = None

    def _mine(self) -> Any:
        return update(OutboxLease).where(
            OutboxLease.name == self.name,
            OutboxLease.holder == self.holder,
            OutboxLease.epoch == self.epoch,
        )


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _rowcount(result: Any) -> int:
    assert isinstance(result, CursorResult)
    return int(result.rowcount)
