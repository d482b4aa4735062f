"""Prometheus metrics of a service process, served at ``/metrics``.

One registry per process (``REGISTRY``), not the client library's global one, so
that only the platform's metrics are exposed and tests can read them back. The
hot path only increments labelled counters; what needs I/O (outbox backlog,
consumer lag) is measured when ``/metrics`` is scraped, at most once per
``LagProbe.min_interval_s`` for the lag.

Every metric carries the ``service`` label, so several services in one process
(as in tests) do not mix.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from shared.events.catalogue import CATALOGUE

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry(auto_describe=True)
CONTENT_TYPE = CONTENT_TYPE_LATEST

EVENTS_CONSUMED = Counter(
    "taskforce_events_consumed",
    "Records processed by the service's consumer, by CloudEvents type and outcome "
    "(handled, duplicate, ignored, dead-lettered).",
    ["service", "type", "outcome"],
    registry=REGISTRY,
)
EVENTS_PRODUCED = Counter(
    "taskforce_events_produced",
    "Events the outbox relay published, counted when the broker acknowledged them.",
    ["service", "type"],
    registry=REGISTRY,
)
EVENTS_DEAD_LETTERED = Counter(
    "taskforce_events_dead_lettered",
    "Records parked on the service's dead-letter topic, by reason.",
    ["service", "reason"],
    registry=REGISTRY,
)
HANDLER_DURATION = Histogram(
    "taskforce_event_handler_duration_seconds",
    "Time to process one record: parse, validate, handle and commit the inbox "
    "transaction (retries included).",
    ["service", "type"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
CONSUMER_LAG = Gauge(
    "taskforce_consumer_lag",
    "Records behind per topic-partition: end offset minus the group's committed offset.",
    ["service", "group", "topic", "partition"],
    registry=REGISTRY,
)
OUTBOX_BACKLOG = Gauge(
    "taskforce_outbox_backlog",
    "Outbox rows not yet acknowledged by the broker.",
    ["service"],
    registry=REGISTRY,
)
DELIVERY_ATTEMPTS = Counter(
    "taskforce_webhook_delivery_attempts",
    "Webhook delivery attempts by outcome (delivered, failed) and failure reason.",
    ["service", "outcome", "reason"],
    registry=REGISTRY,
)
#: Which replica a scrape came from (``TASKFORCE_REPLICA``): 1 for this process's replica.
REPLICA = Gauge(
    "taskforce_replica",
    "The replica of the service this process is (always 1; the replica is the label).",
    ["service", "replica"],
    registry=REGISTRY,
)

UNKNOWN_TYPE = "unknown"


def event_type_of(headers: Iterable[tuple[str, bytes]]) -> str:
    """The ``ce_type`` header of a record as a label value: a catalogue type or ``unknown``.

    Label values must come from a closed set: a header is whatever a writer put
    there, and each new value would be a new time series in every scrape.
    """
    for name, value in headers:
        if name == "ce_type":
            event_type = value.decode(errors="replace") if value else UNKNOWN_TYPE
            return event_type if event_type in CATALOGUE else UNKNOWN_TYPE
    return UNKNOWN_TYPE


def record_consumed(service: str, event_type: str, outcome: str, seconds: float) -> None:
    EVENTS_CONSUMED.labels(service, event_type, outcome).inc()
    HANDLER_DURATION.labels(service, event_type).observe(seconds)


def record_produced(service: str, event_types: Iterable[str]) -> None:
    for event_type in event_types:
        EVENTS_PRODUCED.labels(service, event_type).inc()


def record_dead_lettered(service: str, reason: str) -> None:
    EVENTS_DEAD_LETTERED.labels(service, reason).inc()


def record_delivery_attempt(service: str, outcome: str, reason: str | None) -> None:
    DELIVERY_ATTEMPTS.labels(service, outcome, reason or "").inc()


class LagProbe:
    """Consumer lag of one service's group, measured on scrape and cached briefly.

    Reads from the group's own running consumers (no extra connections): the
    partitions assigned to them, their end offsets (one request) and the group's
    committed offsets. A partition the group never committed counts from the
    start of the log.
    """

    def __init__(
        self,
        service: str,
        group: Callable[[], str],
        consumers: Callable[[], Iterable[AIOKafkaConsumer]],
        *,
        min_interval_s: float = 5.0,
        timeout_s: float = 2.0,
    ) -> None:
        self.service = service
        self.group = group
        self.consumers = consumers
        self.min_interval_s = min_interval_s
        self.timeout_s = timeout_s
        self._last = 0.0
        self._labels: set[tuple[str, str, str, str]] = set()

    async def refresh(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < self.min_interval_s:
            return
        self._last = now
        lags: dict[tuple[str, str, str, str], int] = {}
        group = self.group()
        for consumer in self.consumers():
            try:
                measured = await asyncio.wait_for(_lag(consumer), self.timeout_s)
            except Exception as exc:  # a scrape must not fail because the broker is away
                log.debug("consumer lag not measured: %r", exc)
                continue
            for tp, lag in measured.items():
                lags[(self.service, group, tp.topic, str(tp.partition))] = lag
        for labels in self._labels - lags.keys():
            CONSUMER_LAG.remove(*labels)
        for labels, lag in lags.items():
            CONSUMER_LAG.labels(*labels).set(lag)
        self._labels = set(lags)


async def _lag(consumer: AIOKafkaConsumer) -> dict[TopicPartition, int]:
    assigned = sorted(consumer.assignment())
    if not assigned:
        return {}
    ends: dict[TopicPartition, int] = await consumer.end_offsets(assigned)
    starts: dict[TopicPartition, int] = await consumer.beginning_offsets(assigned)
    committed = await asyncio.gather(*(consumer.committed(tp) for tp in assigned))
    return {
        tp: max(0, ends[tp] - (offset if offset is not None else starts[tp]))
        for tp, offset in zip(assigned, committed, strict=True)
    }


async def exposition(refreshers: Iterable[Callable[[], Awaitable[Any]]]) -> bytes:
    """Run the scrape-time measurements, then render the registry in text format."""
    for refresh in refreshers:
        try:
            await refresh()
        except Exception as exc:
            log.debug("metric refresh failed: %r", exc)
    return generate_latest(REGISTRY)
