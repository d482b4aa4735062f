"""The organisations' inbox entries in the database: reads answer domain :class:`InboxEntry`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.domain.inbox import InboxEntry
from services.notifications.storage.tables import InboxEntryRow
from shared.http.times import as_utc


def _entry_of(row: InboxEntryRow) -> InboxEntry:
    return InboxEntry(
        entry_id=row.entry_id,
        organisation=row.organisation,
        event_id=row.event_id,
        event_source=row.event_source,
        event_type=row.event_type,
        event_time=as_utc(row.event_time),
        subject=row.subject,
        body=row.body,
        subscription_ids=tuple(uuid.UUID(s) for s in row.subscription_ids),
        created_at=as_utc(row.created_at),
        read_at=None if row.read_at is None else as_utc(row.read_at),
    )


async def add(session: AsyncSession, entry: InboxEntry) -> None:
    session.add(
        InboxEntryRow(
            entry_id=entry.entry_id,
            organisation=entry.organisation,
            event_id=entry.event_id,
            event_source=entry.event_source,
            event_type=entry.event_type,
            event_time=entry.event_time,
            subject=entry.subject,
            body=entry.body,
            subscription_ids=[str(s) for s in entry.subscription_ids],
            created_at=entry.created_at,
            read_at=entry.read_at,
        )
    )


async def save(session: AsyncSession, entry: InboxEntry) -> None:
    """Store whether the entry was read (read in this session, so its row is at hand)."""
    row = await session.get(InboxEntryRow, entry.entry_id)
    if row is None:
        raise LookupError(f"inbox entry {entry.entry_id} is not stored")
    row.read_at = entry.read_at


async def get(session: AsyncSession, entry_id: uuid.UUID) -> InboxEntry | None:
    row = await session.get(InboxEntryRow, entry_id)
    return None if row is None else _entry_of(row)


async def of_organisation(
    session: AsyncSession, organisation: str, *, read: bool | None, offset: int, limit: int
) -> tuple[list[InboxEntry], int]:
    """One page of the organisation's inbox, newest first (only read or unread ones if
    ``read`` says so), and how many entries in all."""
    where: list[Any] = [InboxEntryRow.organisation == organisation]
    if read is True:
        where.append(InboxEntryRow.read_at.is_not(None))
    elif read is False:
        where.append(InboxEntryRow.read_at.is_(None))
    total = await session.scalar(select(func.count()).select_from(InboxEntryRow).where(*where))
    rows = await session.scalars(
        select(InboxEntryRow)
        .where(*where)
        .order_by(InboxEntryRow.created_at.desc(), InboxEntryRow.entry_id)
        .offset(offset)
        .limit(limit)
    )
    return [_entry_of(row) for row in rows], int(total or 0)


async def holding(
    session: AsyncSession, organisations: Sequence[str], source: str, event_id: str
) -> set[str]:
    """Which of ``organisations`` have the event in their inbox already: one query for all."""
    found = await session.scalars(
        select(InboxEntryRow.organisation).where(
            InboxEntryRow.organisation.in_(organisations),
            InboxEntryRow.event_source == source,
            InboxEntryRow.event_id == event_id,
        )
    )
    return set(found)
