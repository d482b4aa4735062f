"""The outbox relay: one publisher per service outbox, per-key order, each row exactly once.

Every replica of a service runs a relay; the one that holds the outbox lease
(``shared.outbox_lease``) publishes, the others only ask for the lease about
once a second and take over within its TTL when the holder stops or dies.

**Order.** The holder publishes the unsent rows in ``id`` order, a batch at a
time, and never moves a cursor past an unsent row: each batch starts again at
the lowest unsent ``id``. On PostgreSQL ids are not handed out in commit order,
so a row with a lower id can become visible after a higher one was published.
That row is published in the next batch, and per-key order still holds: every
event of an aggregate takes the aggregate's ``outbox_sequence`` row by an
upsert in the same transaction (``Outbox.add``), whose row lock is held until
commit. So the next event of that aggregate gets its sequence, and its outbox id,
only after this one committed; a row that commits late is always of another key
than the rows published before it. Forwarded copies (``Outbox.forward``) follow
the order of the transactions that forward them, which the consumer runs one
after another per partition.

**Exactly once.** Each batch is one Kafka transaction of the service's
transactional producer (``<principal>.outbox``, ``shared.kafka.producer``),
so a batch lands whole or not at all for ``read_committed`` consumers, and a new
holder's producer fences the previous one. The steps of a batch, and what a
crash at each one leaves:

1. begin, send every row, wait for the acks. Crash: the transaction stays open
   until the next holder's producer starts (or the transaction timeout), which
   aborts it; the rows are unsent and go again.
2. write the batch's ids to the lease row as ``in_doubt`` (conditional on the
   lease epoch). Crash: as in 1.
3. commit the Kafka transaction. Crash before the coordinator has the commit:
   aborted, as in 1. Crash after: the batch is on the topics, the rows unsent.
4. mark the rows sent and clear ``in_doubt`` in one database transaction
   (conditional on the epoch). Crash: nothing left to do.

A relay taking the lease (or retaking its own after a failed commit) finds the
``in_doubt`` batch, asks the transaction coordinator for the state of the
transactional id's last transaction *before* its producer starts (which
resets that state), then starts its producer: if the transaction committed
(``PrepareCommit``/``CompleteCommit``) the rows are marked sent without sending
them again, otherwise they are sent again. The coordinator's last transaction is
the in-doubt batch, because a holder writes ``in_doubt`` only after its sends
were acknowledged inside that transaction, and begins no other before clearing it.

The one case left is a holder that stops (a pause longer than the lease's safety
margin) between its last local lease check and its commit reaching the
coordinator, and then commits after the new holder asked for the state and
before the new producer started: that batch would be published twice. The
margin is ``2 * renew_every`` below the TTL; consumers' inboxes absorb even that.
If the coordinator no longer knows the id (idle past
``transactional.id.expiration.ms``, seven days by default) an in-doubt batch is
sent again: at least once, never lost.

The relay reads nothing back from the topics: a service's principal may write
its topics but not read them (``shared.kafka.acls``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaProducer
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared import metrics, telemetry
from shared.db import write_gate
from shared.events.envelope import TRACE_HEADERS
from shared.kafka.producer import TransactionalProducers
from shared.outbox_lease import Lease, LeaseLost
from shared.outbox_tables import OutboxMessage

log = logging.getLogger(__name__)


class OutboxRelay:
    """Publishes the outbox in order, exactly once, while this replica holds the lease."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        producers: TransactionalProducers,
        *,
        wake: asyncio.Event | None = None,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        keep_sent: timedelta = timedelta(days=7),
        service: str = "unknown",
        lease_ttl: float = 5.0,
        lease_renew_every: float = 1.0,
        holder: str | None = None,
    ) -> None:
        self.sessions = sessions
        self.service = service
        self.producers = producers
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.keep_sent = keep_sent
        self.wake = wake or asyncio.Event()
        self.lease = Lease(
            sessions,
            f"outbox:{service}",
            ttl=lease_ttl,
            renew_every=lease_renew_every,
            holder=holder,
        )
        self._producer: AIOKafkaProducer | None = None
        #: The lease epoch the producer was started (and the in-doubt batch settled) under.
        self._settled_epoch: int | None = None
        self._stopping = False
        self._last_purge = datetime.min.replace(tzinfo=UTC)

    async def run(self) -> None:
        """Publish until stopped; broker and database outages are retried with backoff.

        A pass publishes when woken (a commit added rows) or when the poll interval is up;
        in between, the loop wakes only to renew the lease, or to ask for it again.
        """
        backoff = self.poll_interval
        next_poll = 0.0
        loop = asyncio.get_running_loop()
        try:
            while not self._stopping:
                try:
                    if self.wake.is_set() or loop.time() >= next_poll:
                        self.wake.clear()
                        published = await self.publish_pending()
                        backoff = self.poll_interval
                        next_poll = loop.time() + backoff
                        if published == self.batch_size:
                            next_poll = 0.0
                            continue  # more waiting: don't sleep
                        if self.lease.epoch is not None:
                            await self._purge_sent()
                    else:
                        await self._hold()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("outbox relay: publishing failed; retrying")
                    backoff = min(backoff * 2, 30.0)
                    next_poll = loop.time() + backoff
                held = self.lease.epoch is not None
                lease_due = self.lease.seconds_to_renewal() if held else self.lease.renew_every
                wait = max(0.0, min(next_poll - loop.time(), lease_due))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), timeout=wait)
        finally:
            await self.close()

    def stop(self) -> None:
        self._stopping = True
        self.wake.set()

    async def close(self) -> None:
        """Stop the producer and give the lease up, so another replica takes over at once."""
        await self._drop_producer()
        with contextlib.suppress(Exception):
            await self.lease.release()

    @property
    def holding(self) -> bool:
        return self.lease.held and self._producer is not None

    async def publish_pending(self) -> int:
        """One step: hold the lease, then publish one batch; how many rows went out."""
        if not await self._hold():
            return 0
        async with self.sessions() as session:
            rows: Sequence[OutboxMessage] = (
                await session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.sent_at.is_(None))
                    .order_by(OutboxMessage.id)
                    .limit(self.batch_size)
                )
            ).all()
        if not rows:
            return 0
        try:
            await self._publish(rows)
        except Exception as error:
            # Whatever the transaction became, the next step settles it under the lease.
            await self._drop_producer()
            if not isinstance(error, LeaseLost):
                await self._record_failure(rows[0], error)
            raise
        return len(rows)

    async def _hold(self) -> bool:
        if not await self.lease.hold():
            await self._drop_producer()
            return False
        if self._settled_epoch != self.lease.epoch or self._producer is None:
            await self._drop_producer()
            # Asked of the database, not believed: a paused replica must not fence the holder.
            if not await self.lease.hold(now=True):
                return False
            await self._take_over()
        return True

    async def _take_over(self) -> None:
        """Settle the previous holder's in-doubt batch and start this replica's producer."""
        in_doubt = await self.lease.in_doubt()
        state = await self.producers.last_transaction() if in_doubt else None
        producer = self.producers.new()
        await producer.start()  # fences any earlier producer and resolves its transaction
        self._producer = producer
        if in_doubt:
            assert state is not None
            if state.committed:
                log.info("outbox relay: %d rows were committed before takeover", len(in_doubt))
                await self._mark(in_doubt)
            else:
                log.info("outbox relay: %d rows in doubt were not committed", len(in_doubt))
                async with write_gate(self.sessions), self.sessions() as session, session.begin():
                    await self.lease.guard(session, in_doubt=None)
        self._settled_epoch = self.lease.epoch

    async def _publish(self, rows: Sequence[OutboxMessage]) -> None:
        producer = self._producer
        assert producer is not None
        await producer.begin_transaction()
        futures = [await self._send(producer, row) for row in rows]
        await asyncio.gather(*futures)
        ids = [row.id for row in rows]
        async with write_gate(self.sessions), self.sessions() as session, session.begin():
            await self.lease.guard(session, in_doubt=ids)
        if not self.lease.held:
            raise LeaseLost(self.lease.name)
        await producer.commit_transaction()
        metrics.record_produced(self.service, (row.event_type for row in rows))
        await self._mark(ids)

    async def _mark(self, ids: list[int]) -> None:
        """Rows sent and the in-doubt batch cleared, in one transaction under the lease."""
        async with write_gate(self.sessions), self.sessions() as session, session.begin():
            await self.lease.guard(session, in_doubt=None)
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids))
                .values(sent_at=datetime.now(UTC))
            )

    async def _record_failure(self, row: OutboxMessage, error: BaseException) -> None:
        with contextlib.suppress(Exception):
            async with write_gate(self.sessions), self.sessions() as session, session.begin():
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == row.id)
                    .values(attempts=OutboxMessage.attempts + 1, last_error=repr(error)[:1000])
                )

    async def _drop_producer(self) -> None:
        producer, self._producer, self._settled_epoch = self._producer, None, None
        if producer is not None:
            with contextlib.suppress(Exception):
                await producer.stop()

    async def _send(self, producer: AIOKafkaProducer, row: OutboxMessage) -> asyncio.Future[Any]:
        stored = [(name, value) for name, value in row.headers if name not in TRACE_HEADERS]
        parent = telemetry.context_from_headers(
            [(name, value.encode()) for name, value in row.headers if name in TRACE_HEADERS]
        )
        # The CloudEvent's id: a forwarded row's own event_id is its forwarding id.
        event_id = row.header_value("ce_id") or row.event_id
        with telemetry.producer_span(
            row.topic, key=row.key, event_id=event_id, event_type=row.event_type, parent=parent
        ):
            trace = telemetry.current_trace_headers()
            headers = [(name, value.encode()) for name, value in stored]
            headers += [(name, value.encode()) for name, value in trace.items()]
            future: asyncio.Future[Any] = await producer.send(
                row.topic,
                value=row.value,
                key=row.key.encode() if row.key is not None else None,
                headers=headers,
            )
        return future

    async def backlog(self) -> int:
        async with self.sessions() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.sent_at.is_(None))
            )
            return int(count or 0)

    async def _purge_sent(self) -> None:
        now = datetime.now(UTC)
        if now - self._last_purge < timedelta(minutes=10):
            return
        self._last_purge = now
        async with write_gate(self.sessions), self.sessions() as session, session.begin():
            await session.execute(
                delete(OutboxMessage).where(OutboxMessage.sent_at < now - self.keep_sent)
            )
