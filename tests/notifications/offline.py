"""The notifications app without its runtime started: API and routing with no broker.

The database is migrated and the app serves requests in-process; events go
through the consumer's ``process`` (inbox, handler, outbox) as in
``conftest.deliver``, but nothing is published and no webhook is attempted: the
relay and the delivery worker are not running, so outbox rows and deliveries
stay where the handler put them. That is what the sinks tests look at, and it
keeps them independent of the broker and of its security.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from services.notifications.app import create_app
from services.notifications.storage.tables import InboxEntryRow
from shared.migrate import upgrade_async
from shared.outbox import OutboxMessage
from tests.databases import TestDatabases
from tests.notifications.conftest import Service, fast_settings, settings_for


@pytest.fixture
async def offline(tmp_path: Path, database: TestDatabases) -> AsyncIterator[Service]:
    # Broker-free: reaching for Kafka fails at once.
    settings = settings_for(tmp_path, None, database=database)
    app = create_app(settings, fast_settings())
    await upgrade_async("notifications", settings.database_url_for("notifications"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield Service(app, settings, client)
    await app.state.runtime.engine.dispose()


async def stream_rows(service: Service) -> list[OutboxMessage]:
    """The outbox rows bound for organisations' streams, in the order the relay sends them."""
    async with service.runtime.sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.topic.like("taskforce.org.%"))
            .order_by(OutboxMessage.id)
        )
        return list(rows)


async def inbox_rows(service: Service) -> list[InboxEntryRow]:
    async with service.runtime.sessions() as session:
        return list(await session.scalars(select(InboxEntryRow)))
