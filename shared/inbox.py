"""Inbox: remember each handled event so a redelivery has no second effect.

The ``(source, id)`` pair is recorded in the same transaction as the handler's
effect; Kafka offsets are committed only after that transaction commits. A
record seen again (redelivery after a crash, a replayed topic, a producer retry)
finds its pair already present and is skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import DateTime, Integer, String, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base
from shared.events.envelope import CloudEvent


class InboxMessage(Base):
    __tablename__ = "inbox_message"

    source: Mapped[str] = mapped_column(String(200), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(200))
    partition: Mapped[int] = mapped_column(Integer)
    offset: Mapped[int] = mapped_column(Integer)
    handled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


async def already_handled(session: AsyncSession, event: CloudEvent) -> bool:
    found = await session.scalar(
        select(InboxMessage.event_id).where(
            InboxMessage.source == event.source, InboxMessage.event_id == event.id
        )
    )
    return found is not None


async def handled_among(
    session: AsyncSession, events: Iterable[CloudEvent]
) -> set[tuple[str, str]]:
    """The ``(source, id)`` pairs of ``events`` already in the inbox, in one query."""
    pairs = {(event.source, event.id) for event in events}
    if not pairs:
        return set()
    found = await session.execute(
        select(InboxMessage.source, InboxMessage.event_id).where(
            tuple_(InboxMessage.source, InboxMessage.event_id).in_(pairs)
        )
    )
    return {(source, event_id) for source, event_id in found}


def record_handled(
    session: AsyncSession, event: CloudEvent, *, topic: str, partition: int, offset: int
) -> None:
    """Add the inbox row; a concurrent duplicate fails the transaction's commit."""
    session.add(
        InboxMessage(
            source=event.source,
            event_id=event.id,
            event_type=event.type,
            topic=topic,
            partition=partition,
            offset=offset,
            handled_at=datetime.now(UTC),
        )
    )
