"""Our Kafka binding of CloudEvents against the official ``cloudevents`` SDK (2.x).

For every catalogued event type, both ways: records we write are read by the
SDK with every attribute intact, and binary messages the SDK writes are read
by us; first in memory, then through the real broker. A record that is not a
valid platform CloudEvent must raise ``EnvelopeError``, never pass silently.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent as SdkEvent

import shared.contracts  # noqa: F401  (fills the catalogue)
from shared.contracts.vocabulary import examples_of
from shared.events.catalogue import CATALOGUE, EventType
from shared.events.envelope import CloudEvent, EnvelopeError, KafkaRecord, new_event
from tests.support import kafka_options

ENTRIES = sorted(CATALOGUE.values(), key=lambda e: e.type)
IDS = [entry.type for entry in ENTRIES]
OIN = "00000001234567890000"
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

# -- samples -----------------------------------------------------------------


def sample_data(entry: EventType) -> dict[str, Any]:
    """The model's declared example, validated and re-serialised by the model itself."""
    return entry.model.model_validate(examples_of(entry.model)[0]).to_data()


def sample_time(index: int) -> datetime:
    """Alternate whole seconds and microseconds: both forms must survive the trip."""
    return datetime(2026, 3, 2, 10, 41, 40, 0 if index % 2 else 123456, tzinfo=UTC)


def sample_event(entry: EventType, index: int = 0) -> CloudEvent:
    data = sample_data(entry)
    return CloudEvent(
        id=str(uuid.uuid4()),
        source=f"urn:nld:oin:{OIN}:systeem:{entry.service}",
        type=entry.type,
        time=sample_time(index),
        data=data,
        subject=entry.model.model_validate(data).aggregate_id(),
        sequence=index + 1,
        dataschema=entry.dataschema,
        trace={"traceparent": TRACEPARENT},
    )


def sdk_event(entry: EventType, index: int = 0) -> SdkEvent:
    """The same kind of event, built with the SDK; time given in another offset on purpose."""
    data = sample_data(entry)
    return SdkEvent(
        attributes={
            "id": str(uuid.uuid4()),
            "source": f"urn:nld:oin:{OIN}:systeem:{entry.service}",
            "type": entry.type,
            "time": sample_time(index).astimezone(timezone(timedelta(hours=2))),
            "subject": entry.model.model_validate(data).aggregate_id(),
            "sequence": str(index + 7),
            "dataschema": entry.dataschema,
            "datacontenttype": "application/json",
        },
        data=data,
    )


def to_sdk_message(record: KafkaRecord) -> ce_kafka.KafkaMessage:
    names = [name for name, _ in record.headers]
    assert len(names) == len(set(names)), "each header once, so a dict loses nothing"
    return ce_kafka.KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value)


def to_record(topic: str, message: ce_kafka.KafkaMessage) -> KafkaRecord:
    key = message.key.encode() if isinstance(message.key, str) else message.key
    return KafkaRecord(topic, key, message.value, list(message.headers.items()))


def assert_sdk_reads(parsed: Any, event: CloudEvent, key: bytes | None) -> None:
    """Every attribute the SDK parsed equals what we wrote."""
    assert parsed.get_specversion() == "1.0"
    assert parsed.get_id() == event.id
    assert parsed.get_source() == event.source
    assert parsed.get_type() == event.type
    assert parsed.get_time() == event.time
    assert parsed.get_subject() == event.subject
    assert parsed.get_extension("sequence") == f"{event.sequence:020d}"
    assert int(parsed.get_extension("sequence")) == event.sequence
    assert parsed.get_dataschema() == event.dataschema
    assert parsed.get_datacontenttype() == "application/json"
    assert parsed.get_data() == event.data
    # The SDK exposes the Kafka key as ``partitionkey``; trace context is no attribute.
    assert parsed.get_extension("partitionkey") == (key.decode() if key else None)
    assert parsed.get_extension("traceparent") is None
    CATALOGUE[parsed.get_type()].model.model_validate(parsed.get_data())


def assert_we_read(ours: CloudEvent, sent: SdkEvent) -> None:
    """Our reading of an SDK-written event equals the SDK's event, and its data validates."""
    sent_time, sent_data = sent.get_time(), sent.get_data()
    assert sent_time is not None and isinstance(sent_data, dict)
    expected = CloudEvent(
        id=sent.get_id(),
        source=sent.get_source(),
        type=sent.get_type(),
        time=sent_time.astimezone(UTC),
        data=sent_data,
        subject=sent.get_subject(),
        sequence=int(sent.get_extension("sequence")),
        dataschema=sent.get_dataschema(),
    )
    assert ours == expected
    CATALOGUE[ours.type].model.model_validate(ours.data)


# -- in memory ---------------------------------------------------------------


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_sdk_reads_what_we_write(entry: EventType) -> None:
    for index in range(2):
        event = sample_event(entry, index)
        record = event.to_record(entry.topic, key=event.subject)
        assert record.key == str(event.subject).encode()
        parsed = ce_kafka.from_binary(to_sdk_message(record), JSONFormat())
        assert_sdk_reads(parsed, event, record.key)
        # Mode detection agrees: it is binary mode.
        assert ce_kafka.from_kafka(to_sdk_message(record), JSONFormat()).get_id() == event.id


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_we_read_what_the_sdk_writes(entry: EventType) -> None:
    for index in range(2):
        sent = sdk_event(entry, index)
        message = ce_kafka.to_binary(sent, JSONFormat(), key_mapper=lambda e: e.get_subject())
        ours = CloudEvent.from_record(to_record(entry.topic, message))
        assert_we_read(ours, sent)
        # And back again: our record of it reads as the same event in the SDK.
        again = ce_kafka.from_binary(
            to_sdk_message(ours.to_record(entry.topic, ours.subject)), JSONFormat()
        )
        assert again.get_id() == sent.get_id()
        assert again.get_time() == sent.get_time()
        assert again.get_data() == sent.get_data()


def test_header_names_follow_the_nl_gov_profile() -> None:
    event = sample_event(ENTRIES[0])
    for name, _ in event.to_record("t", event.subject).headers:
        if name.startswith("ce_"):
            attribute = name[3:]
            assert attribute.isascii() and attribute.isalnum() and attribute.islower()
            assert len(attribute) <= 20
        else:
            assert name in ("content-type", "traceparent", "tracestate")


# -- malformed records -------------------------------------------------------


def _good_record() -> KafkaRecord:
    event = sample_event(CATALOGUE["nl.migratiesamenwerking.countries.human-rights-risk-assessed"])
    return event.to_record("taskforce.countries.v1", event.subject)


def _with(record: KafkaRecord, **headers: bytes | None) -> KafkaRecord:
    """The record with headers replaced (bytes) or removed (None); ``_`` in names is ``-``."""
    changes = {name.replace("__", "-"): value for name, value in headers.items()}
    kept = [(n, v) for n, v in record.headers if n not in changes]
    added = [(n, v) for n, v in changes.items() if v is not None]
    return KafkaRecord(record.topic, record.key, record.value, kept + added)


def _with_value(record: KafkaRecord, value: bytes) -> KafkaRecord:
    return KafkaRecord(record.topic, record.key, value, record.headers)


MALFORMED = {
    "missing ce_id": lambda r: _with(r, ce_id=None),
    "missing ce_specversion": lambda r: _with(r, ce_specversion=None),
    "missing ce_source": lambda r: _with(r, ce_source=None),
    "missing ce_type": lambda r: _with(r, ce_type=None),
    "bad source": lambda r: _with(r, ce_source=b"/countries"),
    "source with trailing newline": lambda r: _with(
        r, ce_source=b"urn:nld:oin:00000001234567890000:systeem:countries\n"
    ),
    "bad type": lambda r: _with(r, ce_type=b"com.example.thing"),
    "id not a uuid": lambda r: _with(r, ce_id=b"42"),
    "specversion 0.3": lambda r: _with(r, ce_specversion=b"0.3"),
    "time without offset": lambda r: _with(r, ce_time=b"2026-03-02T10:41:40"),
    "time not a time": lambda r: _with(r, ce_time=b"yesterday"),
    "sequence not a number": lambda r: _with(r, ce_sequence=b"seven"),
    "sequence with a sign": lambda r: _with(r, ce_sequence=b"-7"),
    "empty subject": lambda r: _with(r, ce_subject=b""),
    "header not utf-8": lambda r: _with(r, ce_subject=b"\xff\xfe"),
    "extension name with underscore": lambda r: _with(r, ce_my_ext=b"x"),
    "datacontenttype as a ce_ header": lambda r: _with(r, ce_datacontenttype=b"text/plain"),
    "structured-mode content type": lambda r: _with(
        r, content__type=b"application/cloudevents+json"
    ),
    "non-JSON value": lambda r: _with_value(r, b"<xml/>"),
    "truncated JSON value": lambda r: _with_value(r, r.value[:-1]),
    "JSON array value": lambda r: _with_value(r, b"[1, 2]"),
    "JSON string value": lambda r: _with_value(r, b'"risk-assessed"'),
    "JSON number value": lambda r: _with_value(r, b"42"),
}


@pytest.mark.parametrize("break_it", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_records_raise_envelope_error(break_it: Any) -> None:
    CloudEvent.from_record(_good_record())  # the unbroken record is fine
    with pytest.raises(EnvelopeError):
        CloudEvent.from_record(break_it(_good_record()))


def test_writing_an_invalid_event_raises_envelope_error() -> None:
    good = sample_event(CATALOGUE["nl.migratiesamenwerking.countries.human-rights-risk-assessed"])
    for change in (
        {"source": "countries"},
        {"subject": ""},
        {"sequence": -1},
        {"time": datetime(2026, 3, 2, 10, 41, 40)},
        {"extensions": {"id": "shadow"}},
    ):
        broken = CloudEvent(**{**good.__dict__, **change})
        with pytest.raises(EnvelopeError):
            broken.to_record("t", "TUN")


# -- through the real broker -------------------------------------------------


@pytest.fixture
async def contract_topic(kafka_bootstrap: str) -> AsyncIterator[str]:
    """A fresh topic per test (auto-create is off on the broker)."""
    name = f"test.contract.{uuid.uuid4().hex}"
    admin = AIOKafkaAdminClient(**kafka_options(kafka_bootstrap))
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, num_partitions=3, replication_factor=1)])
        yield name
        await admin.delete_topics([name])
    finally:
        await admin.close()


async def _produce(bootstrap: str, records: list[KafkaRecord]) -> None:
    producer = AIOKafkaProducer(**kafka_options(bootstrap), enable_idempotence=True)
    await producer.start()
    try:
        for record in records:
            await producer.send_and_wait(
                record.topic, value=record.value, key=record.key, headers=record.headers
            )
    finally:
        await producer.stop()


async def _consume(bootstrap: str, topic: str, count: int) -> list[KafkaRecord]:
    consumer = AIOKafkaConsumer(
        topic,
        **kafka_options(bootstrap),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[KafkaRecord] = []
    try:
        for _ in range(60):
            batch = await consumer.getmany(timeout_ms=500)
            for partition_records in batch.values():
                records.extend(
                    KafkaRecord(r.topic, r.key, r.value, list(r.headers)) for r in partition_records
                )
            if len(records) >= count:
                break
    finally:
        await consumer.stop()
    assert len(records) == count, f"read {len(records)} of {count} records"
    return records


@pytest.mark.kafka
async def test_sdk_reads_our_records_from_the_broker(
    kafka_bootstrap: str, contract_topic: str
) -> None:
    events = {}
    records = []
    for index, entry in enumerate(ENTRIES):
        event = sample_event(entry, index)
        events[event.id] = event
        records.append(event.to_record(contract_topic, event.subject))
    await _produce(kafka_bootstrap, records)

    received = await _consume(kafka_bootstrap, contract_topic, len(records))
    for record in received:
        parsed = ce_kafka.from_binary(to_sdk_message(record), JSONFormat())
        event = events.pop(parsed.get_id())
        assert_sdk_reads(parsed, event, record.key)
        assert record.header("traceparent") == TRACEPARENT
    assert not events, "every event arrived once"


@pytest.mark.kafka
async def test_we_read_sdk_records_from_the_broker(
    kafka_bootstrap: str, contract_topic: str
) -> None:
    sent: dict[str, SdkEvent] = {}
    records = []
    for index, entry in enumerate(ENTRIES):
        event = sdk_event(entry, index)
        sent[event.get_id()] = event
        message = ce_kafka.to_binary(event, JSONFormat(), key_mapper=lambda e: e.get_subject())
        records.append(to_record(contract_topic, message))
    await _produce(kafka_bootstrap, records)

    received = await _consume(kafka_bootstrap, contract_topic, len(records))
    for record in received:
        ours = CloudEvent.from_record(record)
        assert record.key == str(ours.subject).encode()
        assert_we_read(ours, sent.pop(ours.id))
    assert not sent, "every event arrived once"


def test_sequence_strings_sort_like_their_numbers() -> None:
    """The sequence extension compares strings lexicographically; ours must agree."""
    records = [
        new_event(
            source="urn:nld:oin:00000000000000000000:systeem:programmes",
            type="nl.migratiesamenwerking.programmes.programme-approved",
            data={},
            sequence=n,
        ).to_record("t", "k")
        for n in (9, 10, 99, 100, 1_000_000)
    ]
    texts = [dict(r.headers)["ce_sequence"] for r in records]
    assert texts == sorted(texts)
