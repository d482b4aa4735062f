"""Two replicas of the notifications service on one database, as N replicas would run.

Each replica is an app of its own (its own engine, context, routing cache and,
when a test starts one, delivery worker) on the same database URL and the same
var dir, so they share the secrets key. ``pair`` gives two of them broker-free
and unstarted, like ``offline.py``: the database migrated once, the API served
in-process, events handed to the consumer's ``process``; a test starts the
workers it wants (``working``). Its tests take ``database`` for the URL, so
each runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import httpx

from services.notifications.app import create_app
from services.notifications.context import NotificationsContext
from services.notifications.settings import NotificationsSettings
from services.notifications.worker import DeliveryWorker
from shared.migrate import upgrade_async
from shared.settings import PlatformSettings
from tests.notifications.conftest import Service, fast_settings, settings_for


def context_of(service: Service) -> NotificationsContext:
    ctx: NotificationsContext = service.app.state.context
    return ctx


@asynccontextmanager
async def replica(
    settings: PlatformSettings, notifications: NotificationsSettings
) -> AsyncIterator[Service]:
    """One replica's app, unstarted, with an in-process client."""
    app = create_app(settings, notifications)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Service(app, settings, client)
    finally:
        await app.state.runtime.engine.dispose()


@asynccontextmanager
async def pair(
    var_dir: Path, url: str, notifications: NotificationsSettings | None = None
) -> AsyncIterator[tuple[Service, Service]]:
    """Two replicas on the database at ``url``, migrated once."""
    settings = settings_for(var_dir, None).model_copy(update={"database_url": url})
    await upgrade_async("notifications", settings.database_url_for("notifications"))
    async with AsyncExitStack() as stack:
        chosen = notifications or fast_settings()
        first = await stack.enter_async_context(replica(settings, chosen))
        second = await stack.enter_async_context(replica(settings, chosen))
        yield first, second


@asynccontextmanager
async def working(*services: Service) -> AsyncIterator[list[DeliveryWorker]]:
    """A delivery worker per replica, started together and stopped together."""
    workers = [DeliveryWorker(s.runtime, context_of(s)) for s in services]
    tasks = [asyncio.create_task(worker.run()) for worker in workers]
    try:
        yield workers
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
