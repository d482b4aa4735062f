"""A consumer-group rebalance in the middle of a stream loses nothing and handles nothing twice.

``shared/consumer.py`` handles a poll batch in one database transaction that
records every event in the inbox, and commits the batch's offsets only after
that transaction. When partitions move to another member (a replica joins or
leaves), what the old member had not committed comes again to the new one:
the inbox turns what was handled already into a skip, and an event both
members handle at once fails one of the two transactions on the inbox's key
(then that one is a skip too). Here two replicas of the notifications app are
in one group on the broker, on one database: the second joins while events
flow, then the first stops, and every event is routed exactly once. (Runs of
it see a few records come twice across the rebalances, each a skip.)
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import select

from services.notifications.app import create_app
from services.notifications.domain.deliveries import DeliveryStatus
from services.notifications.storage.tables import InboxEntryRow
from shared.consumer import Outcome
from shared.events.catalogue import CATALOGUE
from shared.events.envelope import CloudEvent
from shared.inbox import InboxMessage
from shared.settings import PlatformSettings
from tests import harness
from tests.databases import TestDatabases
from tests.notifications.conftest import (
    FLAGGED,
    Service,
    cloud_event,
    fast_settings,
    flagged,
    settings_for,
)
from tests.support import eventually, own_group, producer_as, start_group_at_end
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.kafka

#: Events published, one every ``PACE_S``, while the group rebalances twice.
EVENTS, PACE_S = 150, 0.05
#: After how many the second replica joins, and the first stops (once the second has
#: handled events: a member leaving while another is still joining can hold the group's
#: rebalance up to its timeout, five minutes).
JOIN_AT, LEAVE_AT = 30, 80


@pytest.fixture
async def producer(kafka_bootstrap: str, tmp_path: Path) -> AsyncIterator[AIOKafkaProducer]:
    started = producer_as(settings_for(tmp_path, kafka_bootstrap), "test-rebalance-publisher")
    await started.start()
    yield started
    await started.stop()


async def publish_all(
    producer: AIOKafkaProducer, events: list[CloudEvent], sent: list[str]
) -> None:
    """One after the other, a few milliseconds apart: a stream, not one batch."""
    for event in events:
        record = event.to_record(CATALOGUE[event.type].topic, event.subject)
        await producer.send_and_wait(
            record.topic, value=record.value, key=record.key, headers=record.headers
        )
        sent.append(event.id)
        await asyncio.sleep(PACE_S)


async def replica(stack: AsyncExitStack, settings: PlatformSettings, group: str) -> Service:
    app = create_app(settings, fast_settings())
    started: Service = await stack.enter_async_context(harness.running(app, Service, group=group))
    return started


async def reached(sent: list[str], count: int) -> None:
    await eventually(lambda: len(sent) >= count, timeout=60)


async def test_a_rebalance_mid_stream_routes_every_event_exactly_once(
    kafka_bootstrap: str,
    tmp_path: Path,
    database: TestDatabases,
    producer: AIOKafkaProducer,
    receiver: Receiver,
) -> None:
    settings = settings_for(tmp_path, kafka_bootstrap, database=database)
    group = own_group(settings, "notifications", f"rebalance-{uuid.uuid4().hex[:12]}")
    topics = create_app(settings, fast_settings()).state.runtime.consumer.topics
    for topic in topics:
        await start_group_at_end(kafka_bootstrap, group, topic)
    events = [cloud_event(flagged()) for _ in range(EVENTS)]
    ours = {event.id for event in events}
    sent: list[str] = []
    async with AsyncExitStack() as second_stack:
        async with AsyncExitStack() as first_stack:
            first = await replica(first_stack, settings, group)
            await first.subscribe(
                "am",
                url=receiver.url("/am"),
                sinks=["webhook", "inbox"],
                eventTypes=[FLAGGED],
                channels=[],
            )
            publishing = asyncio.create_task(publish_all(producer, events, sent))
            await reached(sent, JOIN_AT)
            second = await replica(second_stack, settings, group)  # joins: a rebalance
            await reached(sent, LEAVE_AT)
            await eventually(lambda: second.runtime.consumer.counts[Outcome.HANDLED], timeout=60)
        # The first has left mid-stream (a second rebalance); the second goes on alone.
        await publishing

        async def all_routed() -> bool:
            return len(await delivered(second, ours)) == EVENTS

        await eventually(all_routed, timeout=90)
        await asyncio.sleep(1.0)  # room for any second handling to show up
        handled = [r.runtime.consumer.counts[Outcome.HANDLED] for r in (first, second)]
        assert sum(handled) == EVENTS, f"handled {handled}: some twice or never"
        assert handled[0] > 0 and handled[1] > 0, f"handled {handled}: both replicas took part"
        async with second.runtime.sessions() as session:
            inbox = list(await session.scalars(select(InboxMessage.event_id)))
            entries = list(await session.scalars(select(InboxEntryRow.event_id)))
        assert sorted(e for e in inbox if e in ours) == sorted(ours)
        assert sorted(e for e in entries if e in ours) == sorted(ours)
        deliveries = [row for row in await second.deliveries() if row.event_id in ours]
        assert sorted(row.event_id for row in deliveries) == sorted(ours)
        sent_ids = {r.webhook_id for r in receiver.deliveries("/am")}
        assert {str(row.delivery_id) for row in deliveries} <= sent_ids


async def delivered(service: Service, ours: set[str]) -> list[str]:
    """Our events whose delivery has been delivered."""
    return [
        row.event_id
        for row in await service.deliveries()
        if row.event_id in ours and row.status == DeliveryStatus.DELIVERED
    ]
