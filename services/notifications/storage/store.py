"""Reading and writing subscriptions, deliveries, attempts and inbox entries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.domain.routing import Filters, Route
from services.notifications.storage.tables import (
    AttemptRow,
    DeliveryRow,
    InboxEntryRow,
    SubscriptionRow,
)
from shared.contracts.vocabulary import Severity

ACTIVE = "active"
PAUSED = "paused"
DISABLED = "disabled"
DELETED = "deleted"

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"


def filters_of(stored: dict[str, Any]) -> Filters:
    severity = stored.get("severityAtLeast")
    return Filters(
        owning_organisation=tuple(stored.get("owningOrganisation", ())),
        country_code=tuple(stored.get("countryCode", ())),
        theme=tuple(stored.get("theme", ())),
        programme_id=tuple(stored.get("programmeId", ())),
        flag_category=tuple(stored.get("flagCategory", ())),
        severity_at_least=Severity(severity) if severity else None,
    )


def route_of(row: SubscriptionRow) -> Route:
    return Route(
        subscription_id=row.subscription_id,
        organisation=row.organisation,
        event_types=frozenset(row.event_types),
        channels=frozenset(row.channels),
        filters=filters_of(row.filters),
    )


async def routable(session: AsyncSession) -> list[SubscriptionRow]:
    """Subscriptions events are routed to: all but deleted ones (only active ones get webhooks)."""
    found = await session.scalars(
        select(SubscriptionRow)
        .where(SubscriptionRow.status.in_((ACTIVE, PAUSED, DISABLED)))
        .order_by(SubscriptionRow.created_at, SubscriptionRow.subscription_id)
    )
    return list(found)


async def subscription(
    session: AsyncSession, subscription_id: uuid.UUID, *, for_update: bool = False
) -> SubscriptionRow | None:
    query = select(SubscriptionRow).where(SubscriptionRow.subscription_id == subscription_id)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


async def subscriptions_of(
    session: AsyncSession, organisation: str, *, offset: int, limit: int
) -> tuple[list[SubscriptionRow], int]:
    where = (SubscriptionRow.organisation == organisation, SubscriptionRow.status != DELETED)
    total = await session.scalar(select(func.count()).select_from(SubscriptionRow).where(*where))
    rows = await session.scalars(
        select(SubscriptionRow)
        .where(*where)
        .order_by(SubscriptionRow.created_at, SubscriptionRow.subscription_id)
        .offset(offset)
        .limit(limit)
    )
    return list(rows), int(total or 0)


async def delivery(session: AsyncSession, delivery_id: uuid.UUID) -> DeliveryRow | None:
    return await session.get(DeliveryRow, delivery_id)


async def deliveries_of(
    session: AsyncSession,
    organisation: str,
    *,
    subscription_id: uuid.UUID | None,
    status: str | None,
    offset: int,
    limit: int,
) -> tuple[list[DeliveryRow], int]:
    where: list[Any] = [DeliveryRow.organisation == organisation]
    if subscription_id is not None:
        where.append(DeliveryRow.subscription_id == subscription_id)
    if status is not None:
        where.append(DeliveryRow.status == status)
    total = await session.scalar(select(func.count()).select_from(DeliveryRow).where(*where))
    rows = await session.scalars(
        select(DeliveryRow)
        .where(*where)
        .order_by(DeliveryRow.created_at.desc(), DeliveryRow.delivery_id)
        .offset(offset)
        .limit(limit)
    )
    return list(rows), int(total or 0)


async def attempts_of(session: AsyncSession, delivery_id: uuid.UUID) -> list[AttemptRow]:
    rows = await session.scalars(
        select(AttemptRow).where(AttemptRow.delivery_id == delivery_id).order_by(AttemptRow.number)
    )
    return list(rows)


async def due(
    session: AsyncSession,
    now: datetime,
    limit: int,
    *,
    not_deliveries: Sequence[uuid.UUID] = (),
    not_subscriptions: Sequence[uuid.UUID] = (),
) -> list[tuple[DeliveryRow, SubscriptionRow]]:
    """Pending deliveries whose time has come, oldest first, each with its subscription.

    Those of paused subscriptions wait. Read together so an attempt needs no
    query of its own before it sends. The worker leaves out deliveries it is
    attempting already and subscriptions at their concurrency limit (both
    bounded by its settings), so a busy endpoint's backlog never fills the read.
    """
    where: list[Any] = [
        DeliveryRow.status == PENDING,
        DeliveryRow.next_attempt_at <= now,
        SubscriptionRow.status != PAUSED,
    ]
    if not_deliveries:
        where.append(DeliveryRow.delivery_id.not_in(not_deliveries))
    if not_subscriptions:
        where.append(DeliveryRow.subscription_id.not_in(not_subscriptions))
    rows = await session.execute(
        select(DeliveryRow, SubscriptionRow)
        .join(SubscriptionRow, SubscriptionRow.subscription_id == DeliveryRow.subscription_id)
        .where(*where)
        .order_by(DeliveryRow.next_attempt_at, DeliveryRow.created_at)
        .limit(limit)
    )
    return [(delivery, subscription) for delivery, subscription in rows]


async def some_secret(session: AsyncSession) -> str | None:
    """One stored (sealed) secret, to check the secrets key against at start."""
    found: str | None = await session.scalar(
        select(SubscriptionRow.secret).where(SubscriptionRow.secret.is_not(None)).limit(1)
    )
    return found


async def inbox_of(
    session: AsyncSession, organisation: str, *, read: bool | None, offset: int, limit: int
) -> tuple[list[InboxEntryRow], int]:
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
    return list(rows), int(total or 0)


async def inbox_entry(session: AsyncSession, entry_id: uuid.UUID) -> InboxEntryRow | None:
    return await session.get(InboxEntryRow, entry_id)


async def inboxes_with(
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


async def delivered_to(
    session: AsyncSession, subscription_ids: Sequence[uuid.UUID], source: str, event_id: str
) -> set[uuid.UUID]:
    """Which of the subscriptions have a delivery of the event already: one query for all."""
    found = await session.scalars(
        select(DeliveryRow.subscription_id).where(
            DeliveryRow.subscription_id.in_(subscription_ids),
            DeliveryRow.event_source == source,
            DeliveryRow.event_id == event_id,
        )
    )
    return set(found)
