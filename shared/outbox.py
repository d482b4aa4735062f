"""Transactional outbox: a state change and the events it implies commit together.

``Outbox.add`` writes the event into the service's own database inside the
caller's transaction. ``Outbox.forward`` does the same for an event another
service built, bound for a topic that is not a domain topic (an organisation's
stream). ``OutboxRelay`` publishes unsent rows in insertion order
with an idempotent producer and marks them sent only after the broker has
acknowledged them, so a crash anywhere in between loses nothing (at worst a row
is published again, and consumers' inboxes absorb the duplicate).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from aiokafka import AIOKafkaProducer
from sqlalchemy import (
    JSON,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from shared import metrics, telemetry
from shared.db import Base, write_gate
from shared.events.catalogue import SERVICES, EventData, dead_letter_topic_of, entry_for, topic_of
from shared.events.envelope import CE_PREFIX, TRACE_HEADERS, CloudEvent, new_event

log = logging.getLogger(__name__)


class OutboxMessage(Base):
    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    event_type: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(200))
    key: Mapped[str | None] = mapped_column(String(200))
    headers: Mapped[list[list[str]]] = mapped_column(JSON)
    value: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)

    __table_args__ = (Index("ix_outbox_message_unsent", "sent_at", "id"),)

    def header_value(self, name: str) -> str | None:
        """The value of header ``name`` of the record this row becomes, if it has one."""
        return next((value for key, value in self.headers if key == name), None)


class OutboxSequence(Base):
    """Last ``sequence`` handed out per aggregate, so consumers can order and spot gaps."""

    __tablename__ = "outbox_sequence"

    aggregate: Mapped[str] = mapped_column(String(300), primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


#: Namespace of the ids of forwarded rows (see ``Outbox.forward``); never change it.
FORWARDED = uuid.UUID("5b0f6c5e-3d0e-4c1a-9d43-6f1f6a0c2e71")
#: Topics only their owning service writes, with events it built itself.
_OWNED_TOPICS = frozenset(topic_of(s) for s in SERVICES) | frozenset(
    dead_letter_topic_of(s) for s in SERVICES
)


def forwarding_id(event: CloudEvent, copy: str) -> str:
    """The outbox row id of ``copy`` of a forwarded event: uuid5 of copy, source and id.

    Deterministic, so forwarding the same event for the same copy twice hits the
    UNIQUE ``outbox_message.event_id``; a uuid5 never equals the uuid4 of an event
    the service built itself, so the two kinds of row cannot collide either.
    """
    return str(uuid.uuid5(FORWARDED, f"{copy}\n{event.source}\n{event.id}"))


class Outbox:
    """Adds events to the current transaction; the unit of work wakes the relay on commit."""

    def __init__(self, service: str, source: str) -> None:
        self.service = service
        self.source = source
        #: Set after a commit that added events; the relay waits on it.
        self.wake = asyncio.Event()

    async def add(self, session: AsyncSession, data: EventData) -> CloudEvent:
        entry = entry_for(type(data))
        if entry.service != self.service:
            raise ValueError(
                f"{self.service} may not emit {entry.type}: it writes only its own topic"
            )
        key = data.aggregate_id()
        sequence = await _next_sequence(session, f"{entry.topic}:{key}")
        event = replace(
            new_event(
                source=self.source,
                type=entry.type,
                data=data.to_data(),
                subject=key,
                dataschema=entry.dataschema,
                sequence=sequence,
            ),
            # The trace of the request that caused the event travels with the row.
            trace=telemetry.current_trace_headers(),
        )
        record = event.to_record(entry.topic, key)
        session.add(
            OutboxMessage(
                event_id=event.id,
                event_type=event.type,
                topic=record.topic,
                key=key,
                headers=[[name, value.decode()] for name, value in record.headers],
                value=record.value,
                created_at=event.time,
            )
        )
        return event

    def forward(
        self,
        session: AsyncSession,
        event: CloudEvent,
        topic: str,
        *,
        copy: str,
        extra_headers: Mapping[str, str] | None = None,
    ) -> str:
        """Queue an already-built event, unchanged, for ``topic``; returns the row's id.

        For a copy of another service's event on a topic that is not a domain
        topic (the notifications service writes each organisation's stream).
        ``add`` stays strict: it builds only this service's own events, with its
        own source and sequence. Here the record is the event as it came: the
        same ``data``, the same ``ce_*`` headers (``id``, ``source``,
        ``sequence`` included) and its subject as the key, so per-aggregate
        order holds on ``topic`` as on the domain topic, given that the relay
        publishes rows in insertion order with an idempotent producer.

        ``copy`` names this copy among the event's copies (e.g. the
        subscription it is written for). The row's ``event_id`` is then not the
        event's id (that travels in ``ce_id``) but :func:`forwarding_id`, so
        the UNIQUE constraint on ``event_id`` admits one row per (copy, event)
        and no more: forwarding it again fails the transaction's commit, as a
        second inbox row does. This needs no schema change in any service.

        ``extra_headers`` travel beside the CloudEvent and must not shadow it
        (no ``ce_*``, ``content-type`` or trace headers). The trace context is
        the current one, as with ``add``, so the hop joins the flow's trace.
        """
        if topic in _OWNED_TOPICS:
            raise ValueError(
                f"{self.service} may not forward to {topic}: a domain or dead-letter topic "
                "carries only its owning service's records"
            )
        extra = dict(extra_headers or {})
        reserved = {"content-type", *TRACE_HEADERS}
        for name in extra:
            if name.lower().startswith(CE_PREFIX) or name.lower() in reserved:
                raise ValueError(f"extra header {name!r} would shadow the CloudEvent")
        traced = replace(event, trace=telemetry.current_trace_headers() or dict(event.trace))
        record = traced.to_record(topic, event.subject)
        row_id = forwarding_id(event, copy)
        headers = [[name, value.decode()] for name, value in record.headers]
        headers += [[name, value] for name, value in extra.items()]
        session.add(
            OutboxMessage(
                event_id=row_id,
                event_type=event.type,
                topic=topic,
                key=event.subject,
                headers=headers,
                value=record.value,
                created_at=datetime.now(UTC),
            )
        )
        return row_id


async def _next_sequence(session: AsyncSession, aggregate: str) -> int:
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    # The Core table, not the mapped class: no ORM bulk-insert machinery per event.
    table = cast(Table, OutboxSequence.__table__)
    statement = (
        insert(table)
        .values(aggregate=aggregate, last=1)
        .on_conflict_do_update(index_elements=[table.c.aggregate], set_={"last": table.c.last + 1})
        .returning(table.c.last)
    )
    return int((await session.execute(statement)).scalar_one())


class OutboxRelay:
    """Publishes the outbox in order; one relay per service database."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        producer: AIOKafkaProducer,
        *,
        wake: asyncio.Event | None = None,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        keep_sent: timedelta = timedelta(days=7),
        service: str = "unknown",
    ) -> None:
        self.sessions = sessions
        self.service = service
        self.producer = producer
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.keep_sent = keep_sent
        self.wake = wake or asyncio.Event()
        self._stopping = False
        self._last_purge = datetime.min.replace(tzinfo=UTC)

    async def run(self) -> None:
        """Publish until stopped; broker outages are retried with backoff."""
        backoff = self.poll_interval
        while not self._stopping:
            try:
                published = await self.publish_pending()
                backoff = self.poll_interval
                if published == self.batch_size:
                    continue  # more waiting: don't sleep
                await self._purge_sent()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay: publishing failed; retrying")
                backoff = min(backoff * 2, 30.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=backoff)
            self.wake.clear()

    def stop(self) -> None:
        self._stopping = True
        self.wake.set()

    async def publish_pending(self) -> int:
        """Publish one batch of unsent rows; returns how many were acknowledged."""
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
        futures: list[asyncio.Future[Any]] = []
        error: BaseException | None = None
        for row in rows:
            try:
                futures.append(await self._send(row))
            except Exception as exc:  # not even enqueued: stop here, keep order
                error = exc
                break
        acked: list[int] = []
        for row, future in zip(rows, futures, strict=False):
            try:
                await future
            except Exception as exc:
                error = exc
                break  # only an unbroken prefix counts: later rows go again, in order
            acked.append(row.id)
        metrics.record_produced(self.service, (row.event_type for row in rows[: len(acked)]))
        async with write_gate(self.sessions), self.sessions() as session, session.begin():
            now = datetime.now(UTC)
            if acked:
                await session.execute(
                    update(OutboxMessage).where(OutboxMessage.id.in_(acked)).values(sent_at=now)
                )
            if error is not None and len(acked) < len(rows):
                failed = rows[len(acked)]
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == failed.id)
                    .values(attempts=OutboxMessage.attempts + 1, last_error=repr(error)[:1000])
                )
        if error is not None:
            raise error
        return len(acked)

    async def _send(self, row: OutboxMessage) -> asyncio.Future[Any]:
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
            future: asyncio.Future[Any] = await self.producer.send(
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
