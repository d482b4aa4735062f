"""Subscriptions in the database: each read answers a domain :class:`Subscription`.

The filters are kept in their API form (camelCase keys, only those set), so
the stored JSON reads as what the subscriber sent.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.domain.routing import Filters
from services.notifications.domain.sinks import Sink
from services.notifications.domain.subscriptions import (
    ROUTABLE,
    Selection,
    Subscription,
    SubscriptionStatus,
)
from services.notifications.storage.tables import SubscriptionRow, SubscriptionsVersionRow, assign
from shared.contracts.vocabulary import Severity
from shared.http.times import as_utc


def stored_filters(filters: Filters) -> dict[str, Any]:
    """The filters as kept in the database (only those set)."""
    return {
        key: (value.value if isinstance(value, Severity) else list(value))
        for key, value in filters.given().items()
    }


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


def subscription_of(row: SubscriptionRow) -> Subscription:
    until = row.previous_secret_until
    return Subscription(
        subscription_id=row.subscription_id,
        organisation=row.organisation,
        url=row.url,
        sinks=tuple(Sink(s) for s in row.sinks),
        description=row.description,
        selection=Selection(tuple(row.event_types), tuple(row.channels), filters_of(row.filters)),
        status=SubscriptionStatus(row.status),
        status_reason=row.status_reason,
        secret=row.secret,
        previous_secret=row.previous_secret,
        previous_secret_until=as_utc(until) if until is not None else None,
        verified_at=as_utc(row.verified_at) if row.verified_at is not None else None,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
    )


#: What may change about a subscription, stored as the domain object holds it.
_CHANGING = (
    "url",
    "description",
    "status_reason",
    "secret",
    "previous_secret",
    "previous_secret_until",
    "verified_at",
    "updated_at",
)


def _write(row: SubscriptionRow, subscription: Subscription) -> None:
    """Everything about ``subscription`` that may change, onto its row."""
    assign(row, subscription, _CHANGING)
    selection = subscription.selection
    row.sinks = [s.value for s in subscription.sinks]
    row.event_types = list(selection.event_types)
    row.channels = list(selection.channels)
    row.filters = stored_filters(selection.filters)
    row.status = subscription.status.value


async def add(session: AsyncSession, subscription: Subscription) -> None:
    row = SubscriptionRow(
        subscription_id=subscription.subscription_id,
        organisation=subscription.organisation,
        created_at=subscription.created_at,
    )
    _write(row, subscription)
    session.add(row)


async def save(session: AsyncSession, subscription: Subscription) -> None:
    """Store a changed subscription (read in this session, so its row is at hand)."""
    row = await session.get(SubscriptionRow, subscription.subscription_id)
    if row is None:
        raise LookupError(f"subscription {subscription.subscription_id} is not stored")
    _write(row, subscription)


async def get(
    session: AsyncSession, subscription_id: uuid.UUID, *, for_update: bool = False
) -> Subscription | None:
    """The subscription (deleted ones too); ``for_update`` locks it until the transaction ends."""
    query = select(SubscriptionRow).where(SubscriptionRow.subscription_id == subscription_id)
    if for_update:
        query = query.with_for_update()
    row = await session.scalar(query)
    return None if row is None else subscription_of(row)


async def of_organisation(
    session: AsyncSession, organisation: str, *, offset: int, limit: int
) -> tuple[list[Subscription], int]:
    """One page of the organisation's subscriptions but the deleted ones, and how many in all."""
    where = (
        SubscriptionRow.organisation == organisation,
        SubscriptionRow.status != SubscriptionStatus.DELETED.value,
    )
    total = await session.scalar(select(func.count()).select_from(SubscriptionRow).where(*where))
    rows = await session.scalars(
        select(SubscriptionRow)
        .where(*where)
        .order_by(SubscriptionRow.created_at, SubscriptionRow.subscription_id)
        .offset(offset)
        .limit(limit)
    )
    return [subscription_of(row) for row in rows], int(total or 0)


async def routable(session: AsyncSession) -> list[Subscription]:
    """Subscriptions events are routed to, in creation order: all but the deleted ones."""
    found = await session.scalars(
        select(SubscriptionRow)
        .where(SubscriptionRow.status.in_([status.value for status in ROUTABLE]))
        .order_by(SubscriptionRow.created_at, SubscriptionRow.subscription_id)
    )
    return [subscription_of(row) for row in found]


async def some_secret(session: AsyncSession) -> str | None:
    """One stored (sealed) secret, to check the secrets key against at start."""
    found: str | None = await session.scalar(
        select(SubscriptionRow.secret).where(SubscriptionRow.secret.is_not(None)).limit(1)
    )
    return found


async def version(session: AsyncSession) -> int:
    """The subscriptions' version: raised by every transaction that changed one."""
    found: int | None = await session.scalar(
        select(SubscriptionsVersionRow.version).where(SubscriptionsVersionRow.id == 1)
    )
    return found or 0


async def raise_version(session: AsyncSession) -> None:
    """This transaction changes subscriptions: every replica's cache is out of date once it
    commits. The row stays locked until then, so changes count one after the other."""
    await session.execute(
        update(SubscriptionsVersionRow)
        .where(SubscriptionsVersionRow.id == 1)
        .values(version=SubscriptionsVersionRow.version + 1)
        .execution_options(synchronize_session=False)
    )
