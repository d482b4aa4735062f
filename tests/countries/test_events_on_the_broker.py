"""Every change reaches `taskforce.countries.v1` once, in order, keyed by country; a rejected
request reaches it not at all.

The test broker's topic keeps every earlier run's records, and other tests
publish to it too, so each test reads from the end offsets it found before it
began and picks its own records by `ce_id` (the ids in this test's outbox).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Collection

import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from tests.countries.support import (
    Countries,
    Emitted,
    assessment,
    decision,
    partnership,
    scores,
)
from tests.support import ends, eventually, header, kafka_options

pytestmark = pytest.mark.kafka

TOPIC = "taskforce.countries.v1"
SOURCE = "urn:nld:oin:00000000000000000000:systeem:countries"
PREFIX = "nl.migratiesamenwerking.countries."


async def read_ours(
    bootstrap: str, start: dict[TopicPartition, int], ids: Collection[str], timeout: float = 30
) -> list[ConsumerRecord[bytes, bytes]]:
    """Records from ``start`` on whose ``ce_id`` is in ``ids``: until every id has arrived,
    then on to the end of each partition, so that a duplicate would be seen too."""
    consumer = AIOKafkaConsumer(
        **kafka_options(bootstrap), enable_auto_commit=False, isolation_level="read_committed"
    )
    await consumer.start()
    ours: list[ConsumerRecord[bytes, bytes]] = []
    try:
        consumer.assign(list(start))
        for partition, offset in start.items():
            consumer.seek(partition, offset)
        deadline = time.monotonic() + timeout
        seen: set[str] = set()
        end: dict[TopicPartition, int] | None = None
        while True:
            batch = await consumer.getmany(timeout_ms=300)
            for records in batch.values():
                for record in records:
                    event_id = header(record, "ce_id")
                    if event_id is not None and event_id in ids:
                        ours.append(record)
                        seen.add(event_id)
            if end is None and seen >= set(ids):
                end = await consumer.end_offsets(list(start))
            if end is not None and await _reached(consumer, end):
                return ours
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out: {len(seen)} of {len(ids)} events arrived")
    finally:
        await consumer.stop()


async def _reached(consumer: AIOKafkaConsumer, end: dict[TopicPartition, int]) -> bool:
    for partition, offset in end.items():
        if await consumer.position(partition) < offset:
            return False
    return True


async def published(countries: Countries) -> None:
    """Wait until the relay has published the whole outbox."""

    async def drained() -> bool:
        relay = countries.app.state.runtime.relay
        return relay is not None and await relay.backlog() == 0

    await eventually(drained)


def check_records(
    records: list[ConsumerRecord[bytes, bytes]], emitted: list[Emitted]
) -> dict[str, list[int]]:
    """Each emitted event once, as emitted; returns the sequences per key in topic order."""
    by_id = {header(r, "ce_id"): r for r in records}
    assert len(records) == len(by_id) == len(emitted), "each event exactly once"
    for event in emitted:
        record = by_id[event.event_id]
        assert record.topic == TOPIC
        assert record.key == event.key.encode()
        assert record.value == event.raw
        assert header(record, "ce_type") == event.type
        assert header(record, "ce_subject") == event.key
        assert header(record, "ce_source") == SOURCE
        assert header(record, "ce_specversion") == "1.0"
        assert header(record, "content-type") == "application/json"
    sequences: dict[str, list[int]] = defaultdict(list)
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        sequence = header(record, "ce_sequence")
        assert sequence is not None and len(sequence) == 20 and sequence.isdigit()
        assert record.key is not None
        sequences[record.key.decode()].append(int(sequence))
    return sequences


async def test_each_change_appears_once_with_its_type_key_and_sequence(
    countries: Countries, kafka_bootstrap: str
) -> None:
    start = await ends(kafka_bootstrap, TOPIC)

    async def ok(method: str, path: str, body: object) -> dict[str, object]:
        send = countries.post if method == "post" else countries.patch
        response = await send(path, body)
        assert response.status_code in (200, 201), response.text
        result: dict[str, object] = response.json()
        return result

    await ok("patch", "/countries/TUN", {"migrationRoles": ["origin", "transit"]})
    await ok("post", "/countries/TUN/designations", decision("focus"))
    await ok("patch", "/countries/MAR", {"migrationRoles": ["origin"]})
    track = await ok("post", "/countries/TUN/partnerships", partnership())
    path = f"/countries/TUN/partnerships/{track['id']}"
    await ok("patch", path, {"levers": ["trade"]})
    await ok("post", f"{path}/status-changes", {"status": "active", "effectiveFrom": "2026-02-01"})
    await ok("post", "/countries/TUN/risk-assessments", assessment(partnershipId=track["id"]))
    await ok("post", "/countries/MAR/designations", decision("watch"))
    review = decision("focus", decidedOn="2026-06-01", scores=scores(5, 5, 5, 5))
    await ok("post", "/countries/TUN/designations", review)
    withdrawal = decision("none", decidedOn="2026-07-01", reviewDate=None)
    await ok("post", "/countries/TUN/designations", withdrawal)

    emitted = await countries.emitted()
    assert [(e.key, e.type.removeprefix(PREFIX)) for e in emitted] == [
        ("TUN", "country-profile-updated"),
        ("TUN", "focus-designation-changed"),
        ("MAR", "country-profile-updated"),
        ("TUN", "partnership-status-changed"),
        ("TUN", "partnership-updated"),
        ("TUN", "partnership-status-changed"),
        ("TUN", "human-rights-risk-assessed"),
        ("MAR", "focus-designation-changed"),
        ("TUN", "focus-designation-reviewed"),
        ("TUN", "focus-designation-changed"),
    ]
    await published(countries)
    records = await read_ours(kafka_bootstrap, start, {e.event_id for e in emitted})
    sequences = check_records(records, emitted)
    assert sequences == {"TUN": list(range(1, 9)), "MAR": [1, 2]}
    by_id = {header(r, "ce_id"): r for r in records}
    for event in emitted:  # the sequence is the event's place among its country's events
        same_country = [e for e in emitted if e.key == event.key]
        expected = f"{same_country.index(event) + 1:020d}"
        assert header(by_id[event.event_id], "ce_sequence") == expected


async def test_a_rejected_request_puts_nothing_on_the_topic(
    countries: Countries, kafka_bootstrap: str
) -> None:
    start = await ends(kafka_bootstrap, TOPIC)
    already = len(await countries.emitted())
    first = await countries.post("/countries/EGY/risk-assessments", assessment())
    assert first.status_code == 201
    path = "/countries/EGY/risk-assessments"
    rejected = [
        await countries.post(path, assessment(items=[{"likelihood": 9}])),
        # dated before the current assessment: a rule checked inside the transaction
        await countries.post(path, assessment(assessedAt="2026-05-01T00:00:00Z")),
        await countries.post("/countries/EGY/designations", decision(scores=scores()[:2])),
        await countries.patch("/countries/EGY", {"keyFigures": [{"kind": "other"}]}),
    ]
    assert [r.status_code for r in rejected] == [422] * 4
    second = await countries.patch("/countries/EGY", {"notes": "After the rejected requests."})
    assert second.status_code == 200

    emitted = (await countries.emitted())[already:]
    assert [e.type.removeprefix(PREFIX) for e in emitted] == [
        "human-rights-risk-assessed",
        "country-profile-updated",
    ]
    await published(countries)
    records = await read_ours(kafka_bootstrap, start, {e.event_id for e in emitted})
    sequences = check_records(records, emitted)
    assert sequences == {"EGY": [1, 2]}  # no sequence number was spent on a rejection
