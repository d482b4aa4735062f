"""One trace follows a change from the request through the outbox, Kafka and a consumer."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry import trace

from shared import telemetry
from shared.consumer import EventConsumer, Outcome
from shared.contracts.programmes import ProgrammeStatusChanged
from shared.db import make_engine, make_session_factory
from shared.events.catalogue import entry_for
from shared.events.envelope import CloudEvent
from shared.kafka.broker import make_broker
from shared.kafka.security import credentials_for
from shared.migrate import upgrade_async
from shared.outbox import Outbox, OutboxRelay
from shared.settings import PlatformSettings
from shared.unit_of_work import UnitOfWork, unit_of_work
from tests.databases import TestDatabases
from tests.support import (
    eventually,
    outbox_producers_as,
    own_group,
    producer_as,
    start_group_at_end,
    status_change,
)

pytestmark = pytest.mark.kafka


@pytest.fixture
def spans_dir(tmp_path: Path) -> Iterator[Path]:
    telemetry.reset_for_tests()
    telemetry.setup_telemetry("flow-test", tmp_path)
    yield tmp_path
    telemetry.reset_for_tests()


async def test_request_outbox_kafka_and_consumer_share_one_trace(
    settings: PlatformSettings, spans_dir: Path, unique: str, database: TestDatabases
) -> None:
    topic = entry_for(ProgrammeStatusChanged).topic
    programmes_db = database.url_for("programmes", spans_dir)
    monitoring_db = database.url_for("monitoring", spans_dir)
    await upgrade_async("programmes", programmes_db)
    await upgrade_async("monitoring", monitoring_db)
    writer, reader = make_engine(programmes_db), make_engine(monitoring_db)
    producer = producer_as(settings, "test-flow")
    await producer.start()
    outbox = Outbox("programmes", settings.source_for("programmes"))
    relay = OutboxRelay(
        make_session_factory(writer),
        outbox_producers_as(settings, f"flow-{unique}"),
        wake=outbox.wake,
    )
    relay_task = asyncio.create_task(relay.run())

    consumer = EventConsumer(
        "monitoring",
        settings,
        make_session_factory(reader),
        producer,
        group_id=own_group(settings, "monitoring", f"flow-{unique}"),
    )
    handled: list[str] = []

    @consumer.on(ProgrammeStatusChanged)
    async def on_status(uow: UnitOfWork, event: CloudEvent, data: object) -> None:
        handled.append(event.id)

    await start_group_at_end(settings.kafka_bootstrap_servers, consumer.group_id, topic)
    broker = make_broker(settings, credentials_for(settings, settings.principal_of("monitoring")))
    consumer.subscribe(broker)
    await broker.start()
    try:
        tracer = trace.get_tracer("test")
        with tracer.start_as_current_span("POST /v1/programmes/{id}/status") as request_span:
            trace_id = format(request_span.get_span_context().trace_id, "032x")
            async with unit_of_work(make_session_factory(writer), outbox) as uow:
                event = await uow.emit(status_change(f"trace-{unique}"))
        # The handler runs inside the inbox transaction; the count follows its commit.
        await eventually(lambda: consumer.counts[Outcome.HANDLED] == 1)
        assert handled == [event.id]
    finally:
        await broker.stop()
        relay.stop()
        await relay_task
        await producer.stop()
        await writer.dispose()
        await reader.dispose()

    active = telemetry.active_telemetry()
    assert active is not None
    active.force_flush()
    spans = telemetry.find_trace(spans_dir, event_id=event.id)
    assert {s["trace_id"] for s in spans} == {trace_id}
    by_name = {s["name"]: s for s in spans}
    send, process = by_name[f"send {topic}"], by_name[f"process {topic}"]
    request = by_name["POST /v1/programmes/{id}/status"]
    assert send["parent_span_id"] == request["span_id"]
    assert process["parent_span_id"] == send["span_id"]
    assert process["attributes"]["messaging.consumer.group.name"] == consumer.group_id
    assert send["kind"].lower().endswith("producer") and process["kind"].lower().endswith(
        "consumer"
    )
