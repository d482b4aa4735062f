"""The consumer runtime on the real broker: inbox, retries, dead letters, order of work."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from faststream.kafka import KafkaBroker
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.consumer import EventConsumer, Outcome, PermanentError
from shared.contracts.programmes import ProgrammeStatusChanged
from shared.db import make_engine, make_session_factory
from shared.events.catalogue import dead_letter_topic_of, entry_for
from shared.events.envelope import CloudEvent, new_event
from shared.kafka.producer import make_producer
from shared.kafka.topics import provision
from shared.migrate import upgrade_async
from shared.settings import PlatformSettings
from shared.unit_of_work import UnitOfWork
from tests.support import (
    commit_group_offsets,
    eventually,
    header,
    read_topic,
    start_group_at_end,
    status_change,
)

pytestmark = pytest.mark.kafka

TOPIC = entry_for(ProgrammeStatusChanged).topic
SOURCE = "urn:nld:oin:00000000000000000000:systeem:programmes"


@dataclass
class Harness:
    settings: PlatformSettings
    sessions: async_sessionmaker[AsyncSession]
    producer: AIOKafkaProducer
    consumer: EventConsumer
    broker: KafkaBroker
    #: Where this test's group started: the end of the topic before the test sent anything.
    start: dict[TopicPartition, int]
    #: Set when the handler begins a ``slow-`` programme's event.
    slow_started: asyncio.Event

    async def effects(self, programme_id: str) -> list[str]:
        async with self.sessions() as session:
            rows = await session.execute(
                text("SELECT event_id FROM effect WHERE programme_id = :p ORDER BY n"),
                {"p": programme_id},
            )
            return [row[0] for row in rows]

    async def send(self, event: CloudEvent, key: str) -> None:
        record = event.to_record(TOPIC, key)
        await self.producer.send_and_wait(
            TOPIC, value=record.value, key=record.key, headers=record.headers
        )

    async def send_raw(self, value: bytes, headers: list[tuple[str, bytes]], key: str) -> None:
        await self.producer.send_and_wait(TOPIC, value=value, key=key.encode(), headers=headers)


def status_event(programme_id: str, **kwargs: int) -> CloudEvent:
    entry = entry_for(ProgrammeStatusChanged)
    return new_event(
        source=SOURCE,
        type=entry.type,
        data=status_change(programme_id, **kwargs).to_data(),
        subject=programme_id,
    )


@pytest.fixture
async def harness(settings: PlatformSettings, unique: str) -> AsyncIterator[Harness]:
    await provision(settings)
    url = settings.database_url_for("monitoring")
    await upgrade_async("monitoring", url)
    engine = make_engine(url)
    async with engine.begin() as connection:
        await connection.execute(
            text("CREATE TABLE effect (n INTEGER PRIMARY KEY, event_id TEXT, programme_id TEXT)")
        )
    sessions = make_session_factory(engine)
    producer = make_producer(settings, "test-consumer-harness")
    await producer.start()
    consumer = EventConsumer(
        "monitoring", settings, sessions, producer, group_id=f"test.consumer.{unique}"
    )
    failures: dict[str, int] = {}
    slow_started = asyncio.Event()

    @consumer.on(ProgrammeStatusChanged)
    async def record_effect(uow: UnitOfWork, event: CloudEvent, data: object) -> None:
        assert isinstance(data, ProgrammeStatusChanged)
        if data.programme_id.startswith("reject-"):
            raise PermanentError("this programme is refused")
        if data.programme_id.startswith("flaky-"):
            failures[event.id] = failures.get(event.id, 0) + 1
            if failures[event.id] < 2:
                raise ConnectionError("database hiccup")
        if data.programme_id.startswith("broken-"):
            raise RuntimeError("always fails")
        if data.programme_id.startswith("slow-"):
            slow_started.set()
            await asyncio.sleep(1.5)
        await uow.session.execute(
            text("INSERT INTO effect (event_id, programme_id) VALUES (:e, :p)"),
            {"e": event.id, "p": data.programme_id},
        )

    start = await start_group_at_end(settings.kafka_bootstrap_servers, consumer.group_id, TOPIC)
    # As the services make it (shared.service): stopping waits for the record in flight.
    broker = KafkaBroker(
        settings.kafka_bootstrap_servers, graceful_timeout=30.0, log_level=logging.DEBUG
    )
    consumer.subscribe(broker)
    await broker.start()
    yield Harness(settings, sessions, producer, consumer, broker, start, slow_started)
    await broker.stop()
    await producer.stop()
    await engine.dispose()


async def test_redelivered_event_has_no_second_effect(harness: Harness, unique: str) -> None:
    programme = f"dup-{unique}"
    event = status_event(programme)
    await harness.send(event, programme)
    await harness.send(event, programme)  # same source and id: a redelivery
    marker = status_event(programme, status=3, previous=6)
    await harness.send(marker, programme)

    await eventually(lambda: _has(harness, programme, marker.id))
    assert await harness.effects(programme) == [event.id, marker.id]
    assert harness.consumer.counts[Outcome.DUPLICATE] >= 1


async def test_replaying_the_topic_in_a_new_group_changes_nothing(
    harness: Harness, settings: PlatformSettings, unique: str
) -> None:
    programme = f"replay-{unique}"
    events = [status_event(programme, status=s, previous=2) for s in (3, 4, 6)]
    for event in events:
        await harness.send(event, programme)
    await eventually(lambda: _has(harness, programme, events[-1].id))

    # A second consumer group on the same database reads the topic again from where
    # this test began (earlier runs' records would only slow the test down).
    replay = EventConsumer(
        "monitoring", settings, harness.sessions, harness.producer, group_id=f"replay.{unique}"
    )
    replay.handlers = dict(harness.consumer.handlers)
    await commit_group_offsets(settings.kafka_bootstrap_servers, replay.group_id, harness.start)
    broker = KafkaBroker(settings.kafka_bootstrap_servers, log_level=logging.DEBUG)
    replay.subscribe(broker)
    await broker.start()
    try:
        await eventually(lambda: replay.counts[Outcome.DUPLICATE] >= len(events))
    finally:
        await broker.stop()
    assert await harness.effects(programme) == [e.id for e in events]


async def test_poison_records_are_dead_lettered_and_the_consumer_goes_on(
    harness: Harness, unique: str
) -> None:
    programme = f"poison-{unique}"
    good = status_event(programme)
    await harness.send(good, programme)
    valid_headers = good.to_record(TOPIC, programme).headers
    other_id = [(k, v) for k, v in valid_headers if k != "ce_id"] + [("ce_id", b"not-a-uuid")]
    await harness.send_raw(b"{not json", valid_headers, programme)  # unparseable value
    await harness.send_raw(b"{}", other_id, programme)  # envelope breaks the profile
    bad_data = status_event(programme)
    await harness.send_raw(
        json.dumps({"programmeId": programme}).encode(),  # schema validation fails
        bad_data.to_record(TOPIC, programme).headers,
        programme,
    )
    rejected = status_event(f"reject-{unique}")
    await harness.send(rejected, f"reject-{unique}")
    after = status_event(programme, status=3, previous=6)
    await harness.send(after, programme)

    await eventually(lambda: _has(harness, programme, after.id))
    assert await harness.effects(programme) == [good.id, after.id]

    dead_topic = dead_letter_topic_of("monitoring")
    ours = [rejected.id, bad_data.id, good.id]  # poison copies of `good` carry its id
    records = await read_topic(
        harness.settings.kafka_bootstrap_servers,
        dead_topic,
        lambda rs: (
            len([r for r in rs if header(r, "dead-letter-group") == harness.consumer.group_id]) >= 4
        ),
    )
    mine = [r for r in records if header(r, "dead-letter-group") == harness.consumer.group_id]
    reasons = sorted(header(r, "dead-letter-reason") or "" for r in mine)
    assert reasons == [
        "handler-rejected",
        "invalid-envelope",
        "invalid-envelope",
        "schema-validation",
    ]
    for record in mine:
        assert header(record, "dead-letter-topic") == TOPIC
        assert int(header(record, "dead-letter-offset") or -1) >= 0
        assert header(record, "dead-letter-partition") is not None
        assert header(record, "dead-letter-attempts") == "1"
        assert header(record, "dead-letter-error")
        assert header(record, "ce_id") in [*ours, "not-a-uuid"]
    unparseable = [r for r in mine if r.value == b"{not json"]
    assert len(unparseable) == 1
    assert "not JSON" in (header(unparseable[0], "dead-letter-error") or "")


async def test_transient_failures_are_retried_then_dead_lettered(
    harness: Harness, unique: str
) -> None:
    flaky = status_event(f"flaky-{unique}")
    broken = status_event(f"broken-{unique}")
    await harness.send(flaky, f"flaky-{unique}")
    await harness.send(broken, f"broken-{unique}")

    await eventually(lambda: _has(harness, f"flaky-{unique}", flaky.id))
    records = await read_topic(
        harness.settings.kafka_bootstrap_servers,
        dead_letter_topic_of("monitoring"),
        lambda rs: any(_ours(harness, r, broken.id) for r in rs),
    )
    (dead,) = [r for r in records if _ours(harness, r, broken.id)]
    assert header(dead, "dead-letter-reason") == "handler-failed"
    assert header(dead, "dead-letter-attempts") == str(harness.settings.consumer_max_attempts)
    assert "always fails" in (header(dead, "dead-letter-error") or "")
    assert await harness.effects(f"broken-{unique}") == []


async def test_an_event_written_by_the_cloudevents_sdk_is_handled(
    harness: Harness, unique: str
) -> None:
    """An outside producer using the official SDK's Kafka binding reaches our handlers."""
    from cloudevents.core.bindings.kafka import to_binary_event
    from cloudevents.core.v1.event import CloudEvent as SdkEvent

    programme = f"sdk-{unique}"
    sdk_event = SdkEvent(
        attributes={
            "type": entry_for(ProgrammeStatusChanged).type,
            "source": SOURCE,
            "id": str(uuid.uuid4()),
            "time": datetime.now(UTC),
            "subject": programme,
            "datacontenttype": "application/json",
        },
        data=status_change(programme).to_data(),
    )
    message = to_binary_event(sdk_event, key_mapper=lambda _event: programme)
    headers = [(name, value) for name, value in message.headers.items()]
    await harness.send_raw(message.value, headers, programme)

    await eventually(lambda: _has(harness, programme, sdk_event.get_id()))
    assert await harness.effects(programme) == [sdk_event.get_id()]


async def test_stopping_lets_the_record_in_flight_finish_and_commit(
    harness: Harness, unique: str
) -> None:
    programme = f"slow-{unique}"
    event = status_event(programme)
    await harness.send(event, programme)
    await asyncio.wait_for(harness.slow_started.wait(), timeout=30)

    stopping = time.monotonic()
    await harness.broker.stop()  # while the handler is still sleeping
    assert time.monotonic() - stopping > 0.5, "the handler was no longer in flight"

    assert await harness.effects(programme) == [event.id]
    records = await read_topic(
        harness.settings.kafka_bootstrap_servers,
        TOPIC,
        lambda rs: any(header(r, "ce_id") == event.id for r in rs),
    )
    (record,) = [r for r in records if header(r, "ce_id") == event.id]
    partition = TopicPartition(TOPIC, record.partition)
    probe = AIOKafkaConsumer(
        bootstrap_servers=harness.settings.kafka_bootstrap_servers,
        group_id=harness.consumer.group_id,
        enable_auto_commit=False,
    )
    await probe.start()
    try:
        assert await probe.committed(partition) == record.offset + 1
    finally:
        await probe.stop()


def _ours(harness: Harness, record: ConsumerRecord[bytes, bytes], event_id: str) -> bool:
    """A dead letter of this test's consumer group (other test runs may share the broker)."""
    return (
        header(record, "ce_id") == event_id
        and header(record, "dead-letter-group") == harness.consumer.group_id
    )


async def _has(harness: Harness, programme: str, event_id: str) -> bool:
    return event_id in await harness.effects(programme)


class _DeadLettersDownTwice:
    """The dead-letter producer fails twice, as it would while the broker is away."""

    def __init__(self, real: AIOKafkaProducer) -> None:
        self.real = real
        self.failures = 0

    async def send_and_wait(self, *args: object, **kwargs: object) -> object:
        if self.failures < 2:
            self.failures += 1
            raise ConnectionError("broker unreachable")
        return await self.real.send_and_wait(*args, **kwargs)


async def test_a_record_that_cannot_even_be_dead_lettered_is_not_skipped(
    harness: Harness, unique: str
) -> None:
    harness.consumer.dead_letters = _DeadLettersDownTwice(harness.producer)
    programme = f"nodlq-{unique}"
    poison = status_event(programme)
    poison_headers = [(k, v) for k, v in poison.to_record(TOPIC, programme).headers]
    await harness.send_raw(b"[1, 2", poison_headers, programme)
    after = status_event(programme, status=3, previous=6)
    await harness.send(after, programme)

    await eventually(lambda: _has(harness, programme, after.id))
    records = await read_topic(
        harness.settings.kafka_bootstrap_servers,
        dead_letter_topic_of("monitoring"),
        lambda rs: any(_ours(harness, r, poison.id) for r in rs),
    )
    assert [r.value for r in records if _ours(harness, r, poison.id)] == [b"[1, 2"]
