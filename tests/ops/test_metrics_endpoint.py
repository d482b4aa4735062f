"""``/metrics`` of a running service moves with what it does; one trace reaches the webhook.

The notifications service runs in-process on the real broker with a real
receiver: a flag published to the monitoring topic is consumed, routed and
delivered, and the delivery's own event is published by the outbox relay.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families

from shared import telemetry
from shared.consumer import ConsumedRecord, Outcome
from shared.events.catalogue import CATALOGUE
from tests.databases import TestDatabases
from tests.notifications.conftest import (
    Service,
    cloud_event,
    deliver,
    flagged,
    running,
    settings_for,
)
from tests.support import eventually, producer_as
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.kafka

FLAGGED = "nl.migratiesamenwerking.monitoring.programme-flagged"
DELIVERED = "nl.migratiesamenwerking.notifications.notification-delivered"
MONITORING_TOPIC = "taskforce.monitoring.v1"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(service: Service) -> Samples:
    response = await service.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset({"service": "notifications", **labels}.items())), 0.0)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver().start()
    yield started
    started.stop()


@pytest.fixture
def fresh_telemetry() -> Iterator[None]:
    telemetry.reset_for_tests()  # the service's setup then writes spans under its var dir
    yield
    telemetry.reset_for_tests()


@pytest.fixture
async def producer(kafka_bootstrap: str, tmp_path: Path) -> AsyncIterator[AIOKafkaProducer]:
    started = producer_as(settings_for(tmp_path, kafka_bootstrap), "test-ops-publisher")
    await started.start()
    yield started
    await started.stop()


async def test_metrics_count_consumed_produced_dead_lettered_deliveries_and_lag(
    kafka_bootstrap: str,
    tmp_path: Path,
    producer: AIOKafkaProducer,
    receiver: Receiver,
    fresh_telemetry: None,
    database: TestDatabases,
) -> None:
    async with running(settings_for(tmp_path, kafka_bootstrap, database=database)) as service:
        await service.subscribe("am", url=receiver.url("/am"), eventTypes=[FLAGGED], channels=[])
        before = await scrape(service)
        event = cloud_event(flagged(owningOrganisation="am", severity="critical"))
        record = event.to_record(CATALOGUE[event.type].topic, event.subject)
        # Published inside a producer span, as the monitoring relay would.
        with telemetry.producer_span(
            record.topic, key=event.subject, event_id=event.id, event_type=event.type
        ):
            headers = list(record.headers) + telemetry.kafka_headers(
                telemetry.current_trace_headers()
            )
            await producer.send_and_wait(
                record.topic, value=record.value, key=record.key, headers=headers
            )
        await eventually(lambda: len(receiver.deliveries("/am")) == 1)
        assert await deliver(service, event) == Outcome.DUPLICATE
        poison = ConsumedRecord(MONITORING_TOPIC, 0, 0, b"k", b"not json", [])
        assert await service.runtime.consumer.process(poison) == Outcome.DEAD_LETTERED

        async def delivered_published() -> bool:
            after = await scrape(service)
            return value(after, "taskforce_events_produced_total", type=DELIVERED) > value(
                before, "taskforce_events_produced_total", type=DELIVERED
            )

        await eventually(delivered_published)
        assert service.runtime._lag is not None
        service.runtime._lag.min_interval_s = 0.0

        async def lag_caught_up() -> bool:
            lags = {
                dict(labels)["partition"]: v
                for (name, labels), v in (await scrape(service)).items()
                if name == "taskforce_consumer_lag" and dict(labels)["topic"] == MONITORING_TOPIC
            }
            return len(lags) == 3 and set(lags.values()) == {0.0}

        await eventually(lag_caught_up)
        after = await scrape(service)
        openapi = (await service.client.get("/v1/openapi.json")).json()

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    consumed = "taskforce_events_consumed_total"
    assert moved(consumed, type=FLAGGED, outcome="handled") == 1
    assert moved(consumed, type=FLAGGED, outcome="duplicate") == 1
    assert moved(consumed, type="unknown", outcome="dead-lettered") == 1
    assert moved("taskforce_events_dead_lettered_total", reason="invalid-envelope") == 1
    assert moved("taskforce_webhook_delivery_attempts_total", outcome="delivered", reason="") == 1
    assert moved("taskforce_event_handler_duration_seconds_count", type=FLAGGED) == 2
    assert ("taskforce_outbox_backlog", frozenset({("service", "notifications")})) in after
    assert "/metrics" not in openapi["paths"]

    # One trace from the publisher's send through the consumer to the webhook POST.
    active = telemetry.active_telemetry()
    assert active is not None
    active.force_flush()
    by_event = telemetry.find_trace(tmp_path, event_id=event.id)
    send = next(s for s in by_event if s["name"] == f"send {MONITORING_TOPIC}")
    # (the duplicate fed in without trace headers started a trace of its own)
    names = {s["name"]: s for s in telemetry.find_trace(tmp_path, trace_id=send["trace_id"])}
    process, webhook = names[f"process {MONITORING_TOPIC}"], names["POST webhook"]
    assert process["parent_span_id"] == send["span_id"]
    assert webhook["parent_span_id"] == process["span_id"]
    assert webhook["service"] == process["service"] == "notifications"
