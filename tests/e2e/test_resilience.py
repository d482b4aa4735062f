"""Faults in the middle of a stream of events, with counts that must balance
(the stream and the counts: ``tests.e2e.stream``); one process per service."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter

import pytest
from aiokafka import AIOKafkaProducer

from services.notifications.settings import NotificationsSettings
from shared.events.catalogue import dead_letter_topic_of, topic_of
from shared.events.envelope import new_event
from shared.kafka_local import LocalKafka
from tests.e2e.stack import Stack, commit_groups_at_end, read_dead_letters, wait_for
from tests.e2e.stream import (
    FLAGGED,
    INCIDENTS,
    SHORT_STREAM,
    assert_balanced,
    new_stream,
    post_incidents,
    run,
)
from tests.support import kafka_options

pytestmark = pytest.mark.kafka
BASE_PORT = 18111


@pytest.mark.parametrize("service", ["monitoring", "programmes", "notifications"])
def test_kill_9_mid_stream_loses_and_repeats_nothing(stack: Stack, service: str) -> None:
    stream = new_stream(stack)

    def crash() -> None:
        stack.supervisor.kill(service)
        stack.restart(service)

    took = run(stream, crash)
    in_flight = NotificationsSettings().batch_size if service == "notifications" else 0
    assert_balanced(stream, redelivered_at_most=in_flight)
    print(f"kill -9 {service}: {INCIDENTS} incidents in {took:.1f}s")


PROFILE_UPDATED = "nl.migratiesamenwerking.countries.country-profile-updated"
PROFILE_CHANGES = 200


def test_kill_9_countries_mid_stream_of_profile_changes(stack: Stack) -> None:
    """The countries outbox under kill -9: every accepted change announced and delivered once."""
    country = "ISL"  # no other test of this module touches Iceland
    subscription = stack.subscribe(
        "bz", eventTypes=[PROFILE_UPDATED], filters={"countryCode": [country]}
    )
    first = stack.call("countries", "GET", f"/countries/{country}", "bz")["revision"]

    def change(count: int, offset: int) -> None:
        for n in range(offset, offset + count):
            stack.call(
                "countries",
                "PATCH",
                f"/countries/{country}",
                "bz",
                json={"notes": f"Resilience test change {n}."},
            )

    change(PROFILE_CHANGES // 2, 0)
    stack.supervisor.kill("countries")  # its relay may still hold unsent changes
    stack.restart("countries")
    change(PROFILE_CHANGES - PROFILE_CHANGES // 2, PROFILE_CHANGES // 2)

    def delivered() -> list[int]:
        return sorted(
            d.data["revision"]
            for d in stack.receiver.at("bz", "country-profile-updated")
            if d.data.get("countryCode") == country
        )

    expected = list(range(first + 1, first + PROFILE_CHANGES + 1))
    wait_for(lambda: len(delivered()) >= PROFILE_CHANGES, timeout=120, what="every change")
    assert delivered() == expected
    received = [
        d
        for d in stack.receiver.at("bz", "country-profile-updated")
        if d.data.get("countryCode") == country
    ]
    assert len({d.webhook_id for d in received}) == PROFILE_CHANGES
    assert len({d.event["id"] for d in received}) == PROFILE_CHANGES
    found = stack.call(
        "notifications",
        "GET",
        "/deliveries",
        "bz",
        params={"subscriptionId": subscription, "status": "delivered", "pageSize": 1},
    )
    assert found["totalItems"] == PROFILE_CHANGES


def test_broker_restart_mid_stream(stack: Stack, local_kafka: LocalKafka) -> None:
    stream = new_stream(stack)

    def bounce() -> None:
        local_kafka.stop()
        # Monitoring keeps taking reports while the broker is down: they wait in its outbox.
        asyncio.run(post_incidents(stream, INCIDENTS // 4))
        local_kafka.start()

    run(stream, bounce, after=INCIDENTS // 4)
    assert_balanced(stream, timeout=180)
    for service in stack.supervisor.processes:
        assert stack.supervisor.running(service), service


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
    asyncio.run(commit_groups_at_end(stack.settings, {watcher: dead_letter_topics}))
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
