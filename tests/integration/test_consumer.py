"""The consumer runtime on the real broker: inbox, retries, dead letters, order of work."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from shared.consumer import EventConsumer, Outcome
from shared.contracts.programmes import ProgrammeStatusChanged
from shared.events.catalogue import dead_letter_topic_of, entry_for
from shared.kafka.broker import make_broker
from shared.kafka.security import credentials_for
from shared.settings import PlatformSettings
from tests.integration.consumer_harness import SOURCE, TOPIC, Harness, status_event
from tests.support import (
    commit_group_offsets,
    eventually,
    header,
    kafka_options,
    own_group,
    read_topic,
    status_change,
)

pytestmark = pytest.mark.kafka


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
        "monitoring",
        settings,
        harness.sessions,
        harness.dead_letters,
        group_id=own_group(settings, "monitoring", f"replay-{unique}"),
    )
    replay.handlers = dict(harness.consumer.handlers)
    await commit_group_offsets(settings.kafka_bootstrap_servers, replay.group_id, harness.start)
    broker = make_broker(settings, credentials_for(settings, settings.principal_of("monitoring")))
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
        **kafka_options(harness.settings.kafka_bootstrap_servers),
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
    harness.consumer.dead_letters = _DeadLettersDownTwice(harness.dead_letters)
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
