"""Small helpers the integration tests share: example events, reading topics.

Every Kafka client here authenticates, as the admin principal unless told
otherwise: the test broker is secured like any other (SASL/SCRAM, ACLs).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.contracts.programmes import ProgrammeStatusChanged
from shared.events.catalogue import CATALOGUE, EventData
from shared.events.envelope import CloudEvent
from shared.kafka.principals import ADMIN
from shared.kafka.producer import (
    TransactionalProducers,
    make_producer,
    outbox_producers,
    outbox_transactional_id,
)
from shared.kafka.security import aiokafka_options, load_credentials
from shared.kafka_local import PROJECT_ROOT
from shared.settings import PlatformSettings

M = TypeVar("M", bound=EventData)

TEST_VAR = Path(os.environ.get("TASKFORCE_TEST_VAR_DIR", PROJECT_ROOT / "var" / "test"))
#: The test broker's passwords (``TASKFORCE_KAFKA_SECRETS_DIR`` for an external broker).
TEST_SECRETS = Path(os.environ.get("TASKFORCE_KAFKA_SECRETS_DIR", TEST_VAR / "secrets" / "kafka"))


def kafka_options(bootstrap: str, principal: str = ADMIN) -> dict[str, Any]:
    """aiokafka keyword arguments to connect to the test broker as ``principal``."""
    settings = PlatformSettings(kafka_bootstrap_servers=bootstrap, kafka_secrets_dir=TEST_SECRETS)
    return aiokafka_options(settings, load_credentials(TEST_SECRETS, principal))


def producer_as(
    settings: PlatformSettings, client_id: str, principal: str = ADMIN
) -> AIOKafkaProducer:
    """The platform's producer (``make_producer``), connected as ``principal``.

    The admin principal stands in for whichever services' events a test writes;
    a test about one service's rights names that service's principal.
    """
    return make_producer(settings, client_id, load_credentials(settings.kafka_secrets, principal))


def outbox_producers_as(
    settings: PlatformSettings, label: str, principal: str = ADMIN
) -> TransactionalProducers:
    """The programmes outbox's transactional producers, under a transactional id of the test's own.

    The id carries ``label`` so that relays of different tests never fence each other.
    """
    credentials = load_credentials(settings.kafka_secrets, principal)
    transactional_id = f"{outbox_transactional_id(settings, 'programmes')}.test-{label}"
    return outbox_producers(settings, "programmes", credentials, transactional_id)


def own_group(settings: PlatformSettings, service: str, label: str) -> str:
    """A consumer group of the test's own that ``service``'s principal may use (its prefix)."""
    return f"{settings.consumer_group_for(service)}.test-{label}"


def example(model: type[M], **overrides: Any) -> M:
    """The first schema example of a catalogue model, with fields overridden (camelCase keys)."""
    extra = model.model_config.get("json_schema_extra") or {}
    examples = extra.get("examples") if isinstance(extra, dict) else None
    if not isinstance(examples, list) or not isinstance(examples[0], dict):
        raise AssertionError(f"{model.__name__} has no schema example")
    return model.model_validate({**examples[0], **overrides})


def status_change(programme_id: str, status: int = 6, previous: int = 2) -> ProgrammeStatusChanged:
    return example(
        ProgrammeStatusChanged, programmeId=programme_id, status=status, previousStatus=previous
    )


async def read_topic(
    bootstrap: str,
    topic: str,
    until: Callable[[list[ConsumerRecord[bytes, bytes]]], bool],
    *,
    timeout: float = 30.0,
) -> list[ConsumerRecord[bytes, bytes]]:
    """Read a topic from the beginning (no group) until ``until(records)`` holds."""
    consumer = AIOKafkaConsumer(
        topic,
        **kafka_options(bootstrap),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        isolation_level="read_committed",  # as services read: no aborted outbox batch
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    deadline = time.monotonic() + timeout
    try:
        while not until(records):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out reading {topic}: {len(records)} records so far")
            batch = await consumer.getmany(timeout_ms=500)
            for partition_records in batch.values():
                records.extend(partition_records)
    finally:
        await consumer.stop()
    return records


async def partitions_of(bootstrap: str, *topics: str) -> list[TopicPartition]:
    """Every partition of the topics, from the broker's metadata (admin API)."""
    admin = AIOKafkaAdminClient(**kafka_options(bootstrap))
    await admin.start()
    try:
        described = await admin.describe_topics(list(topics))
    finally:
        await admin.close()
    return [
        TopicPartition(topic["topic"], partition["partition"])
        for topic in described
        for partition in topic["partitions"]
    ]


async def start_group_at_end(bootstrap: str, group: str, topic: str) -> dict[TopicPartition, int]:
    """Commit a new consumer group's offsets at the topic's current end.

    The test broker's topics keep every earlier run's records; a fresh group
    starting at "earliest" would wade through all of them. Starting at the end,
    committed before the subscriber joins, misses nothing the test sends after.
    """
    partitions = await partitions_of(bootstrap, topic)
    consumer = AIOKafkaConsumer(
        **kafka_options(bootstrap), group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        await consumer.commit(dict(ends))
        return ends
    finally:
        await consumer.stop()


async def commit_group_offsets(
    bootstrap: str, group: str, offsets: dict[TopicPartition, int]
) -> None:
    consumer = AIOKafkaConsumer(
        **kafka_options(bootstrap), group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign(list(offsets))
        await consumer.commit(dict(offsets))
    finally:
        await consumer.stop()


async def publish(producer: AIOKafkaProducer, event: CloudEvent) -> None:
    """Produce an event as its service would: binary mode, to its catalogue topic."""
    record = event.to_record(CATALOGUE[event.type].topic, event.subject)
    await producer.send_and_wait(
        record.topic, value=record.value, key=record.key, headers=record.headers
    )


async def ends(bootstrap: str, topic: str) -> dict[TopicPartition, int]:
    """The current end offset of each partition of a topic."""
    partitions = await partitions_of(bootstrap, topic)
    consumer = AIOKafkaConsumer(**kafka_options(bootstrap), enable_auto_commit=False)
    await consumer.start()
    try:
        found: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        return found
    finally:
        await consumer.stop()


async def eventually(check: Callable[[], Any], *, timeout: float = 30.0) -> None:
    """Wait until an async or sync check returns truthy."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)


def header(record: ConsumerRecord[bytes, bytes], name: str) -> str | None:
    for key, value in record.headers:
        if key == name:
            return bytes(value).decode()
    return None
