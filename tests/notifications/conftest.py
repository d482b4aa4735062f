"""The notifications service as the tests drive it: the real app and runtime, a real receiver.

The app and its runtime come from ``tests.harness``: broker-free unless the test
is marked ``kafka``; events are handed to the consumer (``deliver``) or published.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest
from sqlalchemy import select

from services.notifications.app import create_app
from services.notifications.settings import NotificationsSettings
from services.notifications.storage.tables import DeliveryRow, SubscriptionRow
from shared.contracts.monitoring import ProgrammeFlagged
from shared.settings import PlatformSettings
from tests import harness
from tests.databases import TestDatabases
from tests.harness import ServiceUnderTest, cloud_event, deliver
from tests.support import example
from tests.webhook_receiver import Receiver, allowed_receivers

__all__ = ["cloud_event", "deliver"]  # the harness's, for the notifications tests

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


def settings_for(
    var_dir: Path, bootstrap: str | None, *, database: TestDatabases | None = None
) -> PlatformSettings:
    return harness.settings_for("notifications", var_dir, bootstrap, database=database)


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
    """The app with its runtime started; on the broker reading with its own group from the
    topics' ends unless ``group_id``."""
    app = create_app(settings, notifications or fast_settings())
    async with harness.running(app, Service, group=group_id) as started:
        yield started


service = harness.app_fixture(running, settings_for)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver().start()
    yield started
    started.stop()


def flagged(**changes: Any) -> ProgrammeFlagged:
    return example(
        ProgrammeFlagged,
        programmeId=f"prg-2026-{uuid.uuid4().int % 10000:04d}",
        flagId=str(uuid.uuid4()),
        **changes,
    )
