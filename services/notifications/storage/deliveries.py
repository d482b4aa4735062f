"""Deliveries and their attempt log in the database: reads answer domain objects.

The ``delivery`` table is the persistent queue the worker reads what is due
from; ``delivery_attempt`` the log of every attempt made.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.domain.deliveries import (
    Attempt,
    AttemptRecord,
    Delivery,
    DeliveryStatus,
    DueDelivery,
)
from services.notifications.domain.subscriptions import SubscriptionStatus
from services.notifications.storage.subscriptions import subscription_of
from services.notifications.storage.tables import (
    AttemptRow,
    DeliveryRow,
    SubscriptionRow,
    assign,
)
from shared.http.times import as_utc


def _optional_utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else as_utc(moment)


def _delivery_of(row: DeliveryRow) -> Delivery:
    return Delivery(
        delivery_id=row.delivery_id,
        subscription_id=row.subscription_id,
        organisation=row.organisation,
        event_id=row.event_id,
        event_source=row.event_source,
        event_type=row.event_type,
        event_time=as_utc(row.event_time),
        subject=row.subject,
        body=row.body,
        trace=dict(row.trace),
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        round_start=row.round_start,
        next_attempt_at=_optional_utc(row.next_attempt_at),
        last_http_status=row.last_http_status,
        last_reason=row.last_reason,
        delivered_at=_optional_utc(row.delivered_at),
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
    )


#: What a delivery is from the start, stored as the domain object holds it.
_FIXED = (
    "delivery_id",
    "subscription_id",
    "organisation",
    "event_id",
    "event_source",
    "event_type",
    "event_time",
    "subject",
    "body",
    "created_at",
)
#: What changes as it is attempted, stored as the domain object holds it (the status aside).
_CHANGING = (
    "attempts",
    "round_start",
    "next_attempt_at",
    "last_http_status",
    "last_reason",
    "delivered_at",
    "updated_at",
)


def _write(row: DeliveryRow, delivery: Delivery) -> None:
    """Everything about ``delivery`` that changes as it is attempted, onto its row."""
    assign(row, delivery, _CHANGING)
    row.status = delivery.status.value


async def add(session: AsyncSession, delivery: Delivery) -> None:
    row = DeliveryRow(trace=dict(delivery.trace))
    assign(row, delivery, _FIXED)
    _write(row, delivery)
    session.add(row)


async def save(session: AsyncSession, delivery: Delivery) -> None:
    """Store a delivery's new state (read in this session, so its row is at hand)."""
    row = await session.get(DeliveryRow, delivery.delivery_id)
    if row is None:
        raise LookupError(f"delivery {delivery.delivery_id} is not stored")
    _write(row, delivery)


async def get(session: AsyncSession, delivery_id: uuid.UUID) -> Delivery | None:
    row = await session.get(DeliveryRow, delivery_id)
    return None if row is None else _delivery_of(row)


async def of_organisation(
    session: AsyncSession,
    organisation: str,
    *,
    subscription_id: uuid.UUID | None,
    status: DeliveryStatus | None,
    offset: int,
    limit: int,
) -> tuple[list[Delivery], int]:
    """One page of the organisation's deliveries, newest first, and how many in all."""
    where: list[Any] = [DeliveryRow.organisation == organisation]
    if subscription_id is not None:
        where.append(DeliveryRow.subscription_id == subscription_id)
    if status is not None:
        where.append(DeliveryRow.status == status.value)
    total = await session.scalar(select(func.count()).select_from(DeliveryRow).where(*where))
    rows = await session.scalars(
        select(DeliveryRow)
        .where(*where)
        .order_by(DeliveryRow.created_at.desc(), DeliveryRow.delivery_id)
        .offset(offset)
        .limit(limit)
    )
    return [_delivery_of(row) for row in rows], int(total or 0)


async def due(
    session: AsyncSession,
    now: datetime,
    limit: int,
    *,
    not_deliveries: Sequence[uuid.UUID] = (),
    not_subscriptions: Sequence[uuid.UUID] = (),
) -> list[DueDelivery]:
    """Pending deliveries whose time has come, oldest first, each with its subscription.

    Those of paused subscriptions wait. Read together so an attempt needs no
    query of its own before it sends. The worker leaves out deliveries it is
    attempting already and subscriptions at their concurrency limit (both
    bounded by its settings), so a busy endpoint's backlog never fills the read.
    """
    where: list[Any] = [
        DeliveryRow.status == DeliveryStatus.PENDING.value,
        DeliveryRow.next_attempt_at <= now,
        SubscriptionRow.status != SubscriptionStatus.PAUSED.value,
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
    return [
        DueDelivery(_delivery_of(delivery), subscription_of(subscription))
        for delivery, subscription in rows
    ]


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


async def add_attempt(session: AsyncSession, attempt: Attempt) -> None:
    outcome = attempt.outcome
    session.add(
        AttemptRow(
            delivery_id=attempt.delivery_id,
            number=attempt.number,
            attempted_at=attempt.at,
            duration_ms=attempt.duration_ms,
            outcome=outcome.status.value,
            http_status=outcome.http_status,
            reason=outcome.reason.value if outcome.reason else None,
            error=outcome.error,
        )
    )


async def attempts_of(session: AsyncSession, delivery_id: uuid.UUID) -> list[AttemptRecord]:
    """The delivery's attempt log, first attempt first."""
    rows = await session.scalars(
        select(AttemptRow).where(AttemptRow.delivery_id == delivery_id).order_by(AttemptRow.number)
    )
    return [
        AttemptRecord(
            number=row.number,
            attempted_at=as_utc(row.attempted_at),
            duration_ms=row.duration_ms,
            outcome=DeliveryStatus(row.outcome),
            http_status=row.http_status,
            reason=row.reason,
            error=row.error,
        )
        for row in rows
    ]
