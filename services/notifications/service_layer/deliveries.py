"""The delivery log use cases: read deliveries and their attempts, re-send one by hand.

Re-sends are limited per subscription (``RESEND_LIMIT`` per
``RESEND_WINDOW_S``, ``domain/resends.py``); only an active subscription's
deliveries are re-sent.
"""

from __future__ import annotations

import time

from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.context import NotificationsContext
from services.notifications.domain.deliveries import AttemptRecord, Delivery
from services.notifications.domain.rights import held_by
from services.notifications.domain.subscriptions import SubscriptionStatus
from services.notifications.service_layer.changes import deliveries_due
from services.notifications.service_layer.commands import DeliveryQuery, Listing, OfDelivery
from services.notifications.storage import deliveries, subscriptions
from shared.errors import Conflict
from shared.unit_of_work import UnitOfWork


async def get_delivery(asked: OfDelivery, session: AsyncSession) -> Delivery:
    """The delivery, if it is to one of the asking organisation's subscriptions."""
    return held_by(asked.organisation, await deliveries.get(session, asked.delivery_id), "delivery")


async def list_deliveries(query: DeliveryQuery, session: AsyncSession) -> Listing[Delivery]:
    found, total = await deliveries.of_organisation(
        session,
        query.organisation,
        subscription_id=query.subscription_id,
        status=query.status,
        offset=query.window.offset,
        limit=query.window.limit,
    )
    return Listing(found, total)


async def list_attempts(asked: OfDelivery, session: AsyncSession) -> list[AttemptRecord]:
    """The attempt log of one of the organisation's deliveries."""
    await get_delivery(asked, session)
    return await deliveries.attempts_of(session, asked.delivery_id)


async def resend_delivery(
    asked: OfDelivery, uow: UnitOfWork, ctx: NotificationsContext
) -> Delivery:
    """Due again now, with a fresh round of retries (the same ``webhook-id``).

    ``ResendsExhausted`` when the subscription had its re-sends for the window.
    """
    delivery = await get_delivery(asked, uow.session)
    subscription = await subscriptions.get(uow.session, delivery.subscription_id)
    if subscription is None or subscription.status is not SubscriptionStatus.ACTIVE:
        raise Conflict("The subscription is not active: resume it before re-sending.")
    ctx.resends.count(delivery.subscription_id, time.monotonic())
    resent = delivery.resent(ctx.now())
    await deliveries.save(uow.session, resent)
    deliveries_due(uow, ctx)
    return resent
