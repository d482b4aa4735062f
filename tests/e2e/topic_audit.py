"""What the domain topics hold after a fault: every event once, every key's sequence unbroken.

Consumers of the platform read ``read_committed``, so that is what is audited:
the records a consumer can see, from given start offsets to the topics' ends.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

Offsets = dict[TopicPartition, int]


@dataclass
class TopicAudit:
    """Event ids seen more than once, and keys whose ``ce_sequence`` skips or repeats."""

    records: int = 0
    duplicated_ids: dict[str, int] = field(default_factory=dict)
    #: (topic, source, key) -> the sequence numbers as read, when not consecutive.
    broken_sequences: dict[tuple[str, str, str], list[int]] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not self.duplicated_ids and not self.broken_sequences


async def end_offsets(
    options: Mapping[str, Any], topics: Iterable[str], *, timeout: float = 30.0
) -> Offsets:
    """The end of every partition of ``topics``, once the cluster's metadata has them all.

    Topics created a moment ago may not be in every broker's metadata yet: ask again.
    """
    wanted = sorted(set(topics))
    admin = AIOKafkaAdminClient(**options)
    await admin.start()
    try:
        deadline = time.monotonic() + timeout
        while True:
            described = await admin.describe_topics(wanted)
            partitions = [
                TopicPartition(topic["topic"], partition["partition"])
                for topic in described
                if topic["error_code"] == 0
                for partition in topic["partitions"]
            ]
            if {tp.topic for tp in partitions} == set(wanted) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
    finally:
        await admin.close()
    consumer = AIOKafkaConsumer(**options, enable_auto_commit=False)
    await consumer.start()
    try:
        found: Offsets = await consumer.end_offsets(partitions)
        return found
    finally:
        await consumer.stop()


async def audit_topics(options: Mapping[str, Any], start: Offsets) -> TopicAudit:
    """Read every partition of ``start`` from its offset to its current end (read_committed)."""
    stop = await end_offsets(options, {tp.topic for tp in start})
    consumer = AIOKafkaConsumer(
        **options, enable_auto_commit=False, isolation_level="read_committed"
    )
    await consumer.start()
    ids: Counter[str] = Counter()
    sequences: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    audit = TopicAudit()
    try:
        consumer.assign(list(start))
        for partition, offset in start.items():
            consumer.seek(partition, offset)
        pending = {tp for tp in start if stop.get(tp, 0) > start[tp]}
        while pending:
            batch = await consumer.getmany(timeout_ms=1000)
            for partition, records in batch.items():
                for record in records:
                    headers = {name: bytes(value).decode() for name, value in record.headers}
                    audit.records += 1
                    ids[headers.get("ce_id", "")] += 1
                    if "ce_sequence" in headers and record.key is not None:
                        aggregate = (
                            partition.topic,
                            headers.get("ce_source", ""),
                            record.key.decode(),
                        )
                        sequences[aggregate].append(int(headers["ce_sequence"]))
            for partition in list(pending):
                if await consumer.position(partition) >= stop[partition]:
                    pending.discard(partition)
    finally:
        await consumer.stop()
    audit.duplicated_ids = {event_id: n for event_id, n in ids.items() if n > 1}
    audit.broken_sequences = {
        aggregate: numbers
        for aggregate, numbers in sequences.items()
        if numbers != list(range(numbers[0], numbers[0] + len(numbers)))
    }
    return audit
