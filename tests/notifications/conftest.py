"""The notifications service as the tests drive it: the real app and runtime, a real receiver."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from sqlalchemy import select

from services.notifications.app import create_app
from services.notifications.settings import NotificationsSettings
from services.notifications.storage.tables import DeliveryRow, SubscriptionRow
from shared.consumer import ConsumedRecord, Outcome
from shared.contracts.monitoring import ProgrammeFlagged
from shared.events.catalogue import CATALOGUE, EventData, entry_for
from shared.events.envelope import CloudEvent, new_event
from shared.service import ServiceRuntime
from shared.settings import PlatformSettings
from tests.notifications.receiver import Receiver, allowed_receivers
from tests.service_harness import ServiceUnderTest
from tests.support import example, own_group, start_group_at_end

WRITE = "notifications:write"
FLAGGED = "nl.migratiesamenwerking.monitoring.programme-flagged"


def fast_settings(**changes: Any) -> NotificationsSettings:
    """Short backoff so that retries happen within a test."""
    values: dict[str, Any] = {
        "allowed_hosts": allowed_receivers(),
        "retry_initial_s": 0.3,
        "retry_factor": 2.0,
        "retry_max_delay_s": 2.0,
        "retry_jitter": 0.1,
        "max_attempts": 4,
        "poll_interval_s": 0.05,
        "request_timeout_s": 2.0,
        "verification_timeout_s": 2.0,
        **changes,
    }
    return NotificationsSettings(**values)


def settings_for(var_dir: Path, bootstrap: str) -> PlatformSettings:
    return PlatformSettings(
        var_dir=var_dir,
        kafka_bootstrap_servers=bootstrap,
        database_url=f"sqlite+aiosqlite:///{var_dir / 'notifications.db'}",
        consumer_backoff_initial_s=0.01,
        consumer_backoff_max_s=0.05,
        consumer_max_attempts=3,
        outbox_poll_interval_s=0.2,
    )


@dataclass
class Service(ServiceUnderTest):
    write_scope: ClassVar[str] = WRITE

    async def subscribe(self, organisation: str = "am", **body: Any) -> dict[str, Any]:
        payload = {"channels": ["monitoring"], **body}
        response = await self.client.post(
            "/v1/subscriptions", json=payload, headers=self.auth(organisation)
        )
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def deliveries(self) -> list[DeliveryRow]:
        async with self.runtime.sessions() as session:
            return list(await session.scalars(select(DeliveryRow)))

    async def subscription_status(self, subscription_id: str) -> str:
        async with self.runtime.sessions() as session:
            row = await session.get(SubscriptionRow, uuid.UUID(subscription_id))
            assert row is not None
            return row.status


@asynccontextmanager
async def running(
    settings: PlatformSettings,
    notifications: NotificationsSettings | None = None,
    *,
    group_id: str | None = None,
) -> AsyncIterator[Service]:
    """The app with its runtime started, reading with its own group from the topics' ends."""
    app = create_app(settings, notifications or fast_settings())
    runtime: ServiceRuntime = app.state.runtime
    fresh = group_id is None
    runtime.consumer.group_id = group_id or own_group(
        settings, "notifications", uuid.uuid4().hex[:12]
    )
    if fresh:
        for topic in runtime.consumer.topics:
            await start_group_at_end(
                settings.kafka_bootstrap_servers, runtime.consumer.group_id, topic
            )
    await runtime.start()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Service(app, settings, client)
    finally:
        await runtime.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver().start()
    yield started
    started.stop()


def cloud_event(data: EventData) -> CloudEvent:
    """``data`` as its producing service would publish it."""
    entry = entry_for(type(data))
    return new_event(
        source=f"urn:nld:oin:00000000000000000000:systeem:{entry.service}",
        type=entry.type,
        data=data.to_data(),
        subject=data.aggregate_id(),
        dataschema=entry.dataschema,
    )


async def deliver(service: Service, event: CloudEvent) -> Outcome:
    """Run the consumer on ``event`` as if it came from its topic (no broker hop)."""
    entry = CATALOGUE[event.type]
    record = event.to_record(entry.topic, event.subject)
    consumed = ConsumedRecord(record.topic, 0, 0, record.key, record.value, list(record.headers))
    return await service.runtime.consumer.process(consumed)


def flagged(**changes: Any) -> ProgrammeFlagged:
    return example(
        ProgrammeFlagged,
        programmeId=f"prg-2026-{uuid.uuid4().int % 10000:04d}",
        flagId=str(uuid.uuid4()),
        **changes,
    )
