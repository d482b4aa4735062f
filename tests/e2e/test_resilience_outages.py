"""A receiver that is down for a while, and poison records on every consumed topic."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter

import pytest
from aiokafka import AIOKafkaProducer

from shared.events.catalogue import dead_letter_topic_of, topic_of
from shared.events.envelope import new_event
from tests.e2e.resilience import (
    FAULT_TEST_TIMEOUT_S,
    FLAGGED,
    SHORT_STREAM,
    assert_balanced,
    new_stream,
    post_incidents,
    run,
)
from tests.e2e.stack import Stack, commit_groups_at_end, read_dead_letters
from tests.support import kafka_options

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(FAULT_TEST_TIMEOUT_S)]
BASE_PORT = 18151


def test_receiver_down_for_a_while(stack: Stack) -> None:
    stream = new_stream(stack)
    stack.receiver.stop()
    try:
        asyncio.run(post_incidents(stream, SHORT_STREAM))
        time.sleep(3)  # a few failed attempts per delivery
        pending = stack.call(
            "notifications",
            "GET",
            "/deliveries",
            "am",
            params={"subscriptionId": stream.subscription, "status": "delivered", "pageSize": 1},
        )
        assert pending["totalItems"] == 0
    finally:
        stack.receiver.start()
    assert_balanced(stream)


def test_poison_records_go_to_the_right_dead_letter_topics(stack: Stack) -> None:
    """On each consumed domain topic: one unparsable record and one that fails its schema."""
    readers = {
        "countries": ["programmes", "monitoring", "notifications"],
        "programmes": ["monitoring", "notifications"],
        "monitoring": ["programmes", "notifications"],
    }
    handled_type = {
        "countries": "nl.migratiesamenwerking.countries.human-rights-risk-assessed",
        "programmes": "nl.migratiesamenwerking.programmes.programme-registered",
        "monitoring": FLAGGED,
    }
    stream = new_stream(stack)
    dead_letter_topics = [
        dead_letter_topic_of(s) for s in ("programmes", "monitoring", "notifications")
    ]
    watcher = f"e2e-dlq-{uuid.uuid4().hex[:8]}"
    asyncio.run(commit_groups_at_end(stack.bootstrap, {watcher: dead_letter_topics}))
    keys: dict[str, str] = {}

    async def poison() -> None:
        producer = AIOKafkaProducer(**kafka_options(stack.bootstrap))
        await producer.start()
        try:
            for owner in readers:
                key = keys[owner] = f"poison-{uuid.uuid4().hex[:12]}"
                await producer.send_and_wait(topic_of(owner), b"{not json", key=key.encode())
                invalid = new_event(
                    source=stack.settings.source_for(owner),
                    type=handled_type[owner],
                    data={"programmeId": key, "countryCode": "XX"},
                    subject=key,
                ).to_record(topic_of(owner), key)
                await producer.send_and_wait(
                    invalid.topic, invalid.value, key=invalid.key, headers=invalid.headers
                )
        finally:
            await producer.stop()

    run(stream, lambda: asyncio.run(poison()), incidents=SHORT_STREAM)
    assert_balanced(stream)

    expected = {
        (topic_of(owner), f"{stack.prefix}.{reader}", reason): 1
        for owner, group_readers in readers.items()
        for reader in group_readers
        for reason in ("invalid-envelope", "schema-validation")
    }
    found = asyncio.run(
        read_dead_letters(
            stack.bootstrap, watcher, dead_letter_topics, set(keys.values()), sum(expected.values())
        )
    )
    assert Counter(found) == expected
