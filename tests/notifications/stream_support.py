"""Helpers for the stream tests: events as their services publish them, reading a stream.

``kafka_consumer`` is the only place in this module that makes a Kafka client,
so whatever a client needs to connect (credentials, TLS) is given there once;
it belongs beside the other client helpers in ``tests/support.py``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from shared.events.catalogue import EventData, entry_for
from shared.events.envelope import CloudEvent, new_event
from shared.settings import PlatformSettings
from tests.support import kafka_options


def kafka_consumer(bootstrap: str, **options: Any) -> AIOKafkaConsumer:
    """Every Kafka consumer these helpers use: no group, no auto-commit."""
    return AIOKafkaConsumer(**kafka_options(bootstrap), enable_auto_commit=False, **options)


async def read_between(
    bootstrap: str,
    start: Mapping[TopicPartition, int],
    end: Mapping[TopicPartition, int],
    *,
    timeout: float = 30.0,
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record from ``start`` up to ``end`` (exclusive), each partition in offset order.

    With ``end`` taken once the producer has been acknowledged, this is exactly
    what was written meanwhile: no guessing how long to wait for "nothing more".
    """
    wanted = [tp for tp, last in end.items() if last > start.get(tp, 0)]
    if not wanted:
        return []
    consumer = kafka_consumer(bootstrap)
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    deadline = time.monotonic() + timeout
    try:
        consumer.assign(wanted)
        for tp in wanted:
            consumer.seek(tp, start.get(tp, 0))
        while [tp for tp in wanted if await consumer.position(tp) < end[tp]]:
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out reading {wanted}: {len(records)} records so far")
            batch = await consumer.getmany(*wanted, timeout_ms=500)
            for tp, found in batch.items():
                records.extend(r for r in found if r.offset < end[tp])
    finally:
        await consumer.stop()
    return records


def published(
    settings: PlatformSettings,
    data: EventData,
    *,
    sequence: int | None = None,
    trace_id: str | None = None,
) -> CloudEvent:
    """``data`` as its producing service publishes it: its real source, subject and schema."""
    entry = entry_for(type(data))
    event = new_event(
        source=settings.source_for(entry.service),
        type=entry.type,
        data=data.to_data(),
        subject=data.aggregate_id(),
        dataschema=entry.dataschema,
        sequence=sequence,
    )
    if trace_id is None:
        return event
    return replace(event, trace={"traceparent": f"00-{trace_id}-{'1' * 16}-01"})


def trace_id_of(traceparent: str | None) -> str | None:
    return traceparent.split("-")[1] if traceparent else None
