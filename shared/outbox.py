"""Transactional outbox: a state change and the events it implies commit together.

``Outbox.add`` writes the event into the service's own database inside the
caller's transaction. ``Outbox.forward`` does the same for an event another
service built, bound for a topic that is not a domain topic (an organisation's
stream). ``OutboxRelay`` (``shared.outbox_relay``) publishes unsent rows in
insertion order, one replica at a time, each batch in a Kafka transaction, and
marks them sent after the commit: a crash anywhere in between loses nothing and
publishes nothing twice (the relay's docstring says what happens at each step).
The tables are in ``shared.outbox_tables``.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared import telemetry
from shared.events.catalogue import SERVICES, EventData, dead_letter_topic_of, entry_for, topic_of
from shared.events.envelope import CE_PREFIX, TRACE_HEADERS, CloudEvent, new_event
from shared.outbox_relay import OutboxRelay
from shared.outbox_tables import OutboxLease, OutboxMessage, OutboxSequence

__all__ = [
    "FORWARDED",
    "Outbox",
    "OutboxLease",
    "OutboxMessage",
    "OutboxRelay",
    "OutboxSequence",
    "forwarding_id",
]

log = logging.getLogger(__name__)


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
