"""Notifications service: routes every platform event to the organisations that subscribed.

Each ministry and agency subscribes to what it owns or follows (event types or
whole domain topics, narrowed by owner, country, theme, flag category and
severity). Each subscription names its sinks: matching events are delivered
as signed webhooks (Standard Webhooks; the body is the CloudEvent in
structured JSON form) from a persistent queue with exponential backoff, land
in the organisation's inbox, and/or are written to the organisation's own
Kafka topic `taskforce.org.<code>.v1` (the CloudEvent as on the domain topic,
one record per subscription, header `taskforce-subscription-id`). Reads the
countries, programmes and monitoring topics; writes
`taskforce.notifications.v1` (`notification-delivered`, `delivery-failed`)
and the organisations' streams.
"""

from __future__ import annotations

from fastapi import FastAPI

from services.notifications.api import deliveries, inbox, subscriptions
from services.notifications.context import NotificationsContext
from services.notifications.handlers import HANDLERS
from services.notifications.settings import NotificationsSettings
from services.notifications.worker import DeliveryWorker
from shared.service import ServiceRuntime, service_app
from shared.settings import PlatformSettings


def create_app(
    settings: PlatformSettings | None = None,
    notifications_settings: NotificationsSettings | None = None,
) -> FastAPI:
    platform = settings or PlatformSettings()
    context = NotificationsContext.create(platform, notifications_settings)

    async def deliver(runtime: ServiceRuntime) -> None:
        await DeliveryWorker(runtime, context).run()

    return service_app(
        "notifications",
        title="Taskforce migratiesamenwerking: notifications",
        description=DESCRIPTION,
        settings=platform,
        routers=[subscriptions.router, deliveries.router, inbox.router],
        handlers=HANDLERS,
        context=context,
        background=[deliver],
    )


DESCRIPTION = __doc__ or ""
