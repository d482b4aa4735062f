"""Faults in the middle of a stream of events, with counts that must balance.

The stream: verified high-severity incident reports posted to monitoring, spread
over fresh programmes. Each incident is one ``incident-reported`` and one
``programme-flagged`` (monitoring); programmes opens ONE review per programme
that every later flag joins; notifications delivers every flag and every review
to the owning ministry's receiver. After each fault, per programme: flags ==
incidents, one review whose triggers are exactly the flags, one delivery per
flagged event and per review, and no webhook-id twice.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from services.notifications.settings import NotificationsSettings
from shared.events.catalogue import dead_letter_topic_of, topic_of
from shared.events.envelope import new_event
from shared.kafka_local import LocalKafka
from tests.e2e.stack import Stack, commit_groups_at_end, read_dead_letters, wait_for
from tests.support import kafka_options

pytestmark = pytest.mark.kafka
BASE_PORT = 18111
PROGRAMMES = 4
#: Incidents per crash or broker restart; each is three events (reported, flagged,
#: delivered), so the stream is some 3,000 events. The receiver and poison tests,
#: whose fault is not timed against the stream, use fewer.
INCIDENTS = 1000
SHORT_STREAM = 400
CONCURRENCY = 8
FLAGGED = "nl.migratiesamenwerking.monitoring.programme-flagged"
REVIEW_OPENED = "nl.migratiesamenwerking.programmes.review-opened"


@dataclass
class Stream:
    stack: Stack
    programmes: list[str]
    subscription: str
    posted: Counter[str]


def new_stream(stack: Stack) -> Stream:
    pids = [stack.programme(owner="am", agencies=("kmar",)) for _ in range(PROGRAMMES)]
    subscription = stack.subscribe(
        "am", eventTypes=[FLAGGED, REVIEW_OPENED], filters={"programmeId": pids}
    )
    return Stream(stack, pids, subscription, Counter())


async def post_incidents(stream: Stream, count: int) -> None:
    """Post ``count`` incidents round-robin over the stream's programmes, a few at a time."""
    stack = stream.stack
    headers = stack.headers("monitoring", "kmar")
    queue: asyncio.Queue[str] = asyncio.Queue()
    for i in range(count):
        queue.put_nowait(stream.programmes[(sum(stream.posted.values()) + i) % PROGRAMMES])

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            pid = queue.get_nowait()
            response = await client.post(
                stack.url("monitoring", "/incidents"),
                headers=headers,
                json={
                    "programmeId": pid,
                    "category": "exploitation",
                    "severity": "high",
                    "countryCode": "TUN",
                    "occurredOn": (date.today() - timedelta(days=1)).isoformat(),
                    "verified": True,
                    "summary": "Migrants were made to work without pay (test).",
                },
            )
            assert response.status_code == 201, response.text
            stream.posted[pid] += 1

    async with httpx.AsyncClient(timeout=30) as client:
        await asyncio.gather(*(worker(client) for _ in range(CONCURRENCY)))


def run(
    stream: Stream,
    fault: Callable[[], None],
    *,
    incidents: int = INCIDENTS,
    after: int | None = None,
) -> float:
    """Post part of the stream (half by default), apply the fault, post the rest; seconds taken."""
    after = incidents // 2 if after is None else after
    started = time.monotonic()
    asyncio.run(post_incidents(stream, after))
    fault()
    asyncio.run(post_incidents(stream, incidents - after))
    return time.monotonic() - started


def assert_balanced(stream: Stream, *, timeout: float = 120, redelivered_at_most: int = 0) -> None:
    """Every expected effect exactly once.

    ``redelivered_at_most``: when the notifications service itself is killed, a
    webhook whose POST succeeded but whose outcome was not yet committed is sent
    again after the restart, with the same ``webhook-id`` (at-least-once delivery;
    the stable id is what lets a receiver drop the repeat). Such repeats are
    bounded by the deliveries in flight at the kill: one worker batch.
    """
    stack = stream.stack
    total = sum(stream.posted.values())
    assert total >= SHORT_STREAM

    def flags_of(pid: str) -> int:
        found = stack.call(
            "monitoring", "GET", "/flags", "am", params={"programmeId": pid, "pageSize": 1}
        )
        return int(found["totalItems"])

    def reviews_of(pid: str) -> list[dict[str, object]]:
        found: list[dict[str, object]] = stack.call(
            "programmes", "GET", f"/programmes/{pid}/reviews", "am"
        )["items"]
        return found

    def triggers_of(pid: str) -> int:
        return sum(len(r["triggers"]) for r in reviews_of(pid))  # type: ignore[arg-type, misc]

    deadline = time.monotonic() + timeout
    for pid, expected in stream.posted.items():
        left = max(1.0, deadline - time.monotonic())
        wait_for(lambda: flags_of(pid) >= expected, timeout=left, what=f"{pid}'s flags")  # noqa: B023
        assert flags_of(pid) == expected, pid
        left = max(1.0, deadline - time.monotonic())
        wait_for(lambda: triggers_of(pid) >= expected, timeout=left, what=f"{pid}'s review")  # noqa: B023
        reviews = reviews_of(pid)
        assert len(reviews) == 1, f"{pid}: {len(reviews)} reviews"
        triggers = reviews[0]["triggers"]
        assert isinstance(triggers, list)
        assert len(triggers) == expected
        assert len({t["eventId"] for t in triggers}) == expected

    expected_deliveries = total + PROGRAMMES

    def delivered() -> int:
        found = stack.call(
            "notifications",
            "GET",
            "/deliveries",
            "am",
            params={"subscriptionId": stream.subscription, "status": "delivered", "pageSize": 1},
        )
        return int(found["totalItems"])

    wait_for(
        lambda: delivered() >= expected_deliveries,
        timeout=max(1.0, deadline - time.monotonic()),
        what="every delivery",
    )
    assert delivered() == expected_deliveries
    received = [d for pid in stream.programmes for d in stack.receiver.about(pid)]
    by_event = Counter(d.event["id"] for d in received)
    webhook_ids = {d.webhook_id for d in received}
    assert len(by_event) == expected_deliveries
    # One delivery (one webhook-id) per event and subscription.
    assert len(webhook_ids) == expected_deliveries
    repeated = {wid: n for wid, n in stack.receiver.repeated_ids().items() if wid in webhook_ids}
    extra = sum(n - 1 for n in repeated.values())
    assert extra <= redelivered_at_most, f"webhook-ids received more than once: {repeated}"
    once_each = {d.webhook_id: d for d in received}.values()  # a receiver drops repeats by id
    assert Counter(d.type for d in once_each) == {
        "programme-flagged": total,
        "review-opened": PROGRAMMES,
    }


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
