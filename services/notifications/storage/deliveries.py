"""Deliveries and their attempt log in the database: reads answer domain objects.

The ``delivery`` table is the persistent queue the worker reads what is due
from; ``delivery_attempt`` the log of every attempt made.

Several replicas may work one queue. A worker *claims* what it is about to
attempt (:func:`claim`): one UPDATE sets its name and an expiry on due,
unclaimed rows and returns them, the candidates found with ``FOR UPDATE SKIP
LOCKED`` on PostgreSQL, so replicas claiming at the same moment pass over each
other's rows instead of waiting for them. The UPDATE's own condition (unclaimed
or expired) is what makes a claim exclusive on either engine: on SQLite, whose
single writer runs one such statement at a time and ignores ``FOR UPDATE``,
the same statement is simply never concurrent. A live worker renews its claims
(:func:`renew`); recording an attempt releases it (``save(..., released=True)``);
a dead replica's claims run out and another replica takes the deliveries.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, update
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


def _unclaimed(now: datetime) -> ColumnElement[bool]:
    return or_(DeliveryRow.claimed_until.is_(None), DeliveryRow.claimed_until <= now)


async def add(session: AsyncSession, delivery: Delivery) -> None:
    row = DeliveryRow(trace=dict(delivery.trace))
    assign(row, delivery, _FIXED)
    _write(row, delivery)
    session.add(row)


async def save(session: AsyncSession, delivery: Delivery, *, released: bool = False) -> None:
    """Store a delivery's new state (read in this session, so its row is at hand);
    ``released``: its attempt is recorded, so its claim ends too (in the same UPDATE)."""
    row = await session.get(DeliveryRow, delivery.delivery_id)
    if row is None:
        raise LookupError(f"delivery {delivery.delivery_id} is not stored")
    _write(row, delivery)
    if released:
        row.claimed_by = None
        row.claimed_until = None


async def get(
    session: AsyncSession, delivery_id: uuid.UUID, *, for_update: bool = False
) -> Delivery | None:
    """The delivery; ``for_update`` locks its row until the transaction ends (PostgreSQL)."""
    row = await session.get(DeliveryRow, delivery_id, with_for_update=for_update or None)
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


def _due_where(
    now: datetime, not_deliveries: Sequence[uuid.UUID], not_subscriptions: Sequence[uuid.UUID]
) -> list[Any]:
    where: list[Any] = [
        DeliveryRow.status == DeliveryStatus.PENDING.value,
        DeliveryRow.next_attempt_at <= now,
        SubscriptionRow.status != SubscriptionStatus.PAUSED.value,
        _unclaimed(now),
    ]
    if not_deliveries:
        where.append(DeliveryRow.delivery_id.not_in(not_deliveries))
    if not_subscriptions:
        where.append(DeliveryRow.subscription_id.not_in(not_subscriptions))
    return where


_OLDEST_FIRST = (DeliveryRow.next_attempt_at, DeliveryRow.created_at)


async def due(
    session: AsyncSession,
    now: datetime,
    limit: int,
    *,
    not_deliveries: Sequence[uuid.UUID] = (),
    not_subscriptions: Sequence[uuid.UUID] = (),
) -> list[DueDelivery]:
    """Unclaimed pending deliveries whose time has come, oldest first, each with its
    subscription; read only (the worker :func:`claim`-s them instead)."""
    rows = await session.execute(
        select(DeliveryRow, SubscriptionRow)
        .join(SubscriptionRow, SubscriptionRow.subscription_id == DeliveryRow.subscription_id)
        .where(*_due_where(now, not_deliveries, not_subscriptions))
        .order_by(*_OLDEST_FIRST)
        .limit(limit)
    )
    return [
        DueDelivery(_delivery_of(delivery), subscription_of(subscription))
        for delivery, subscription in rows
    ]


async def claim(
    session: AsyncSession,
    now: datetime,
    limit: int,
    *,
    holder: str,
    until: datetime,
    not_deliveries: Sequence[uuid.UUID] = (),
    not_subscriptions: Sequence[uuid.UUID] = (),
) -> list[DueDelivery]:
    """Claim for ``holder`` until ``until`` up to ``limit`` due deliveries, oldest first,
    each with its subscription; only what no one else holds (see the module's note).

    Those of paused subscriptions wait. Read with their subscriptions so an
    attempt needs no query of its own before it sends. The worker leaves out
    deliveries it is attempting already and subscriptions at their concurrency
    limit (both bounded by its settings), so a busy endpoint's backlog never
    fills the read. Two statements, in the caller's (short) transaction.
    """
    candidates = (
        select(DeliveryRow.delivery_id)
        .join(SubscriptionRow, SubscriptionRow.subscription_id == DeliveryRow.subscription_id)
        .where(*_due_where(now, not_deliveries, not_subscriptions))
        .order_by(*_OLDEST_FIRST)
        .limit(limit)
        .with_for_update(of=DeliveryRow, skip_locked=True)
    )
    claimed = list(
        await session.scalars(
            update(DeliveryRow)
            .where(DeliveryRow.delivery_id.in_(candidates), _unclaimed(now))
            .values(claimed_by=holder, claimed_until=until)
            .returning(DeliveryRow),
            execution_options={"synchronize_session": False},
        )
    )
    if not claimed:
        return []
    ids = {row.subscription_id for row in claimed}
    subscribed = {
        row.subscription_id: subscription_of(row)
        for row in await session.scalars(
            select(SubscriptionRow).where(SubscriptionRow.subscription_id.in_(ids))
        )
    }
    claimed.sort(key=lambda row: (as_utc(row.next_attempt_at or now), as_utc(row.created_at)))
    return [DueDelivery(_delivery_of(row), subscribed[row.subscription_id]) for row in claimed]


async def renew(
    session: AsyncSession, holder: str, delivery_ids: Sequence[uuid.UUID], until: datetime
) -> int:
    """Extend ``holder``'s claims on the deliveries to ``until``; how many it renewed.

    Rows locked meanwhile are passed over (``SKIP LOCKED``): they are having their
    attempt recorded, which ends the claim anyway, and waiting for them while the
    recording waits for a row renewed here would deadlock.
    """
    held = (
        select(DeliveryRow.delivery_id)
        .where(DeliveryRow.claimed_by == holder, DeliveryRow.delivery_id.in_(delivery_ids))
        .with_for_update(skip_locked=True)
    )
    result = await session.execute(
        update(DeliveryRow)
        .where(DeliveryRow.delivery_id.in_(held))
        .values(claimed_until=until)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def release(
    session: AsyncSession, holder: str, delivery_ids: Sequence[uuid.UUID] | None = None
) -> None:
    """Give up ``holder``'s claims on the deliveries (on all it holds: a worker stopping),
    unattempted: any worker may take them at once."""
    where: list[Any] = [DeliveryRow.claimed_by == holder]
    if delivery_ids is not None:
        where.append(DeliveryRow.delivery_id.in_(delivery_ids))
    await session.execute(
        update(DeliveryRow)
        .where(*where)
        .values(claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )


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
