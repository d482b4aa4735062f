"""A consumer of ``programme-status-changed`` on the real broker, with effects to count.

The handler's behaviour depends on the programme id's prefix: ``reject-`` is a
permanent error, ``flaky-`` fails once, ``broken-`` always fails, ``slow-``
takes 1.5 s; anything else records one row in the ``effect`` table.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer, TopicPartition
from faststream.kafka import KafkaBroker
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.consumer import EventConsumer, PermanentError
from shared.contracts.programmes import ProgrammeStatusChanged
from shared.db import make_engine, make_session_factory
from shared.events.catalogue import entry_for
from shared.events.envelope import CloudEvent, new_event
from shared.kafka.broker import make_broker
from shared.kafka.producer import make_producer
from shared.kafka.security import credentials_for
from shared.migrate import upgrade_async
from shared.settings import PlatformSettings
from shared.unit_of_work import UnitOfWork
from tests.support import start_group_at_end, status_change

TOPIC = entry_for(ProgrammeStatusChanged).topic
SOURCE = "urn:nld:oin:00000000000000000000:systeem:programmes"


@dataclass
class Harness:
    settings: PlatformSettings
    sessions: async_sessionmaker[AsyncSession]
    #: Writes the test's events, as the programmes service would (its principal).
    producer: AIOKafkaProducer
    #: Writes dead letters, as the monitoring service does (its principal).
    dead_letters: AIOKafkaProducer
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


@asynccontextmanager
async def consumer_harness(settings: PlatformSettings, unique: str) -> AsyncIterator[Harness]:
    """The harness with its own consumer group, started at the end of the topic."""
    url = settings.database_url_for("monitoring")
    await upgrade_async("monitoring", url)
    engine = make_engine(url)
    # The effects in the order they were made: a number each database hands out itself.
    numbered = "SERIAL" if engine.dialect.name == "postgresql" else "INTEGER"
    async with engine.begin() as connection:
        await connection.execute(
            text(
                f"CREATE TABLE effect (n {numbered} PRIMARY KEY, event_id TEXT, programme_id TEXT)"
            )
        )
    sessions = make_session_factory(engine)
    monitoring = credentials_for(settings, settings.principal_of("monitoring"))
    producer = make_producer(
        settings,
        "test-consumer-harness",
        credentials_for(settings, settings.principal_of("programmes")),
    )
    dead_letters = make_producer(settings, "test-consumer-dead-letters", monitoring)
    await producer.start()
    await dead_letters.start()
    # The monitoring service's principal may use groups that start with its name.
    group = f"{settings.consumer_group_for('monitoring')}.test-{unique}"
    consumer = EventConsumer("monitoring", settings, sessions, dead_letters, group_id=group)
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
    broker = make_broker(settings, monitoring)
    consumer.subscribe(broker)
    await broker.start()
    try:
        yield Harness(
            settings, sessions, producer, dead_letters, consumer, broker, start, slow_started
        )
    finally:
        await broker.stop()
        await producer.stop()
        await dead_letters.stop()
        await engine.dispose()
