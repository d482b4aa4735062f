"""Raw aiokafka baseline and per-hop measurements on the benchmark's broker.

The baseline produces the very records the platform wrote to
``taskforce.monitoring.v1`` (same keys, values and headers, so the same sizes)
to a scratch topic with the same partitions, with the platform's producer
settings (idempotent, ``acks=all``, ``linger_ms=5``), then one consumer reads
them back. A hop is a service draining a backlog of its input topic, timed by
the committed offsets of its consumer group.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

POLL_S = 0.02


@dataclass(frozen=True)
class Record:
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]

    @property
    def size(self) -> int:
        return (
            len(self.key or b"") + len(self.value) + sum(len(k) + len(v) for k, v in self.headers)
        )


@dataclass(frozen=True)
class RawResult:
    records: int
    mean_record_bytes: float
    produce_per_s: float
    consume_per_s: float
    produce_and_consume_per_s: float


@dataclass(frozen=True)
class HopResult:
    service: str
    topic: str
    records: int
    seconds: float

    @property
    def per_s(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0


async def read_all(bootstrap: str, topic: str, limit: int) -> list[Record]:
    """Up to ``limit`` records of ``topic`` from the start (a throwaway group, no commits)."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"bench.sample.{uuid.uuid4().hex[:8]}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        await _await_assignment(consumer)
        ends = await consumer.end_offsets(list(consumer.assignment()))
        total = min(limit, sum(ends.values()))
        records: list[Record] = []
        while len(records) < total:
            batch = await consumer.getmany(timeout_ms=1000)
            for messages in batch.values():
                records += [Record(m.key, m.value or b"", list(m.headers)) for m in messages]
        return records[:limit]
    finally:
        await consumer.stop()


async def raw_baseline(bootstrap: str, sample: list[Record], count: int) -> RawResult:
    """Produce ``count`` records (cycling ``sample``) and consume them back, twice."""
    topic = f"bench.raw.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
    finally:
        await admin.close()
    records = [sample[i % len(sample)] for i in range(count)]
    # 1. produce and consume at once: a consumer waits at the end of the fresh topic.
    live = _consumer(bootstrap, topic)
    await live.start()
    try:
        await _await_assignment(live)
        started = time.monotonic()
        producing = asyncio.create_task(_produce(bootstrap, topic, records))
        await _consume(live, count)
        both = time.monotonic() - started
        produce_seconds = await producing
    finally:
        await live.stop()
    # 2. a backlog drained by a new consumer group: what a service does after a restart.
    backlog = _consumer(bootstrap, topic)
    await backlog.start()
    try:
        await _await_assignment(backlog)
        started = time.monotonic()
        await _consume(backlog, count)
        drain = time.monotonic() - started
    finally:
        await backlog.stop()
    return RawResult(
        records=count,
        mean_record_bytes=sum(r.size for r in records) / count,
        produce_per_s=count / produce_seconds,
        consume_per_s=count / drain,
        produce_and_consume_per_s=count / both,
    )


def _consumer(bootstrap: str, topic: str) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"bench.raw.{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=True,
    )


async def _await_assignment(consumer: AIOKafkaConsumer) -> None:
    while not consumer.assignment():
        await consumer.getmany(timeout_ms=100)


async def _produce(bootstrap: str, topic: str, records: list[Record]) -> float:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=5
    )
    await producer.start()
    try:
        started = time.monotonic()
        futures = [
            await producer.send(topic, r.value, key=r.key, headers=r.headers) for r in records
        ]
        await asyncio.gather(*futures)
        return time.monotonic() - started
    finally:
        await producer.stop()


async def _consume(consumer: AIOKafkaConsumer, count: int) -> None:
    seen = 0
    while seen < count:
        batch = await consumer.getmany(timeout_ms=1000)
        seen += sum(len(messages) for messages in batch.values())


async def committed_total(bootstrap: str, group: str, topic: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return sum(meta.offset for tp, meta in offsets.items() if tp.topic == topic and meta.offset > 0)


async def end_total(bootstrap: str, topic: str) -> int:
    """The sum of the topic's end offsets over its partitions."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    partitions = [TopicPartition(topic, p["partition"]) for p in described[0]["partitions"]]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        ends = await consumer.end_offsets(partitions)
        return int(sum(ends.values()))
    finally:
        await consumer.stop()


async def time_drain(
    bootstrap: str, service: str, topic: str, target: int, timeout: float
) -> HopResult:
    """How fast ``service``'s group moves its committed offsets on ``topic`` up to ``target``.

    Timed from the first move seen to the last; the records before the first
    move are not counted, so start-up time does not enter.
    """
    group = f"taskforce.{service}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:

        async def committed() -> int:
            offsets = await admin.list_consumer_group_offsets(group)
            return sum(m.offset for tp, m in offsets.items() if tp.topic == topic and m.offset > 0)

        base = await committed()
        deadline = time.monotonic() + timeout
        first: tuple[float, int] | None = None
        last = (time.monotonic(), base)
        while time.monotonic() < deadline:
            now, value = time.monotonic(), await committed()
            if value != last[1]:
                last = (now, value)
                if first is None:
                    first = (now, value)
            if value >= target:
                break
            await asyncio.sleep(POLL_S)
    finally:
        await admin.close()
    if first is None:
        return HopResult(service, topic, 0, 0.0)
    return HopResult(service, topic, last[1] - first[1], last[0] - first[0])
