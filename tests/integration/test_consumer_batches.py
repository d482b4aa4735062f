"""Poll batches: one transaction for the batch, one by one only when part of it fails."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event as orm_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.consumer import ConsumedRecord, Outcome
from shared.events.catalogue import dead_letter_topic_of
from shared.events.envelope import CloudEvent
from shared.inbox import InboxMessage
from tests.integration.consumer_harness import TOPIC, Harness, status_event
from tests.support import eventually, header, read_topic

pytestmark = pytest.mark.kafka


def consumed(event: CloudEvent, key: str, offset: int) -> ConsumedRecord:
    record = event.to_record(TOPIC, key)
    return ConsumedRecord(TOPIC, 0, offset, record.key, record.value, list(record.headers))


@contextmanager
def counting_commits() -> Iterator[list[int]]:
    commits: list[int] = []

    def count(_session: Session) -> None:
        commits.append(1)

    orm_event.listen(Session, "after_commit", count)
    try:
        yield commits
    finally:
        orm_event.remove(Session, "after_commit", count)


async def inbox_ids(harness: Harness, ids: list[str]) -> list[str]:
    async with harness.sessions() as session:
        found = await session.scalars(
            select(InboxMessage.event_id).where(InboxMessage.event_id.in_(ids))
        )
        return sorted(found)


async def test_a_batch_of_valid_events_is_one_transaction(harness: Harness, unique: str) -> None:
    programmes = [f"batch{n}-{unique}" for n in range(5)]
    events = [status_event(p) for p in programmes]
    records = [consumed(e, p, n) for n, (e, p) in enumerate(zip(events, programmes, strict=True))]

    with counting_commits() as commits:
        outcomes = await harness.consumer.process_batch(records)

    assert outcomes == [Outcome.HANDLED] * 5
    assert len(commits) == 1
    for programme, event in zip(programmes, events, strict=True):
        assert await harness.effects(programme) == [event.id]
    assert await inbox_ids(harness, [e.id for e in events]) == sorted(e.id for e in events)


async def test_one_bad_record_fails_only_itself(harness: Harness, unique: str) -> None:
    first, second = f"first-{unique}", f"second-{unique}"
    good = status_event(first)
    rejected = status_event(f"reject-{unique}")
    later = status_event(second)
    records = [
        consumed(good, first, 10),
        consumed(rejected, f"reject-{unique}", 11),
        consumed(later, second, 12),
        consumed(good, first, 13),  # the same event again within the batch
    ]

    outcomes = await harness.consumer.process_batch(records)

    assert outcomes == [
        Outcome.HANDLED,
        Outcome.DEAD_LETTERED,
        Outcome.HANDLED,
        Outcome.DUPLICATE,
    ]
    assert await harness.effects(first) == [good.id]
    assert await harness.effects(second) == [later.id]
    assert await harness.effects(f"reject-{unique}") == []
    assert await inbox_ids(harness, [good.id, rejected.id, later.id]) == sorted([good.id, later.id])


async def test_events_already_in_the_inbox_are_skipped_within_a_batch(
    harness: Harness, unique: str
) -> None:
    programme = f"seen-{unique}"
    old, new = status_event(programme), status_event(programme, status=3, previous=6)
    assert await harness.consumer.process(consumed(old, programme, 0)) == Outcome.HANDLED

    outcomes = await harness.consumer.process_batch(
        [consumed(old, programme, 0), consumed(new, programme, 1)]
    )

    assert outcomes == [Outcome.DUPLICATE, Outcome.HANDLED]
    assert await harness.effects(programme) == [old.id, new.id]


async def test_a_header_that_is_not_utf8_is_dead_lettered_and_its_batch_goes_on(
    harness: Harness, unique: str
) -> None:
    """FastStream would fail the whole poll batch on it; the record must still count."""
    programme = f"binary-{unique}"
    before, after = status_event(programme), status_event(programme, status=3, previous=6)
    binary = status_event(programme, status=4, previous=2)
    headers: list[tuple[str, Any]] = list(binary.to_record(TOPIC, programme).headers)
    headers.append(("x-binary", b"\xff\xfe\x00"))

    await harness.send(before, programme)
    await harness.send_raw(binary.to_record(TOPIC, programme).value, headers, programme)
    await harness.send(after, programme)

    async def both_handled() -> bool:
        return await harness.effects(programme) == [before.id, after.id]

    await eventually(both_handled)
    records = await read_topic(
        harness.settings.kafka_bootstrap_servers,
        dead_letter_topic_of("monitoring"),
        lambda rs: any(header(r, "ce_id") == binary.id for r in rs),
    )
    (dead,) = [r for r in records if header(r, "ce_id") == binary.id]
    assert header(dead, "dead-letter-reason") == "invalid-envelope"
    assert "not UTF-8" in (header(dead, "dead-letter-error") or "")
    assert ("x-binary", b"\xff\xfe\x00") in list(dead.headers)
