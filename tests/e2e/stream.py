"""A stream of incidents over fresh programmes, and the counts that must balance after a fault.

The stream: verified high-severity incident reports posted to monitoring, spread
over fresh programmes. Each incident is one ``incident-reported`` and one
``programme-flagged`` (monitoring); programmes opens ONE review per programme
that every later flag joins; notifications delivers every flag and every review
to the owning ministry's receiver. After each fault, per programme: flags ==
incidents, one review whose triggers are exactly the flags, one delivery per
flagged event and per review, and no webhook-id twice.

Every report carries an ``Idempotency-Key``, and one that fails in transit (its
replica killed under it) is sent again with the same key, to the next replica:
the client cannot know whether the first attempt took effect, and the key makes
the retry safe either way.
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

from tests.e2e.stack import Stack, wait_for

#: Incidents per fault; each is three events (reported, flagged, delivered).
INCIDENTS = 1000
SHORT_STREAM = 400
CONCURRENCY = 8
PROGRAMMES = 4
#: How often a report that failed in transit is tried again (each time on the next replica).
ATTEMPTS = 5
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
        queue.put_nowait(
            stream.programmes[(sum(stream.posted.values()) + i) % len(stream.programmes)]
        )

    async def report(client: httpx.AsyncClient, pid: str) -> None:
        body = {
            "programmeId": pid,
            "category": "exploitation",
            "severity": "high",
            "countryCode": "TUN",
            "occurredOn": (date.today() - timedelta(days=1)).isoformat(),
            "verified": True,
            "summary": "Migrants were made to work without pay (test).",
        }
        keyed = {**headers, "Idempotency-Key": f'"{uuid.uuid4()}"'}
        for attempt in range(1, ATTEMPTS + 1):
            try:
                response = await client.post(
                    stack.url("monitoring", "/incidents"), headers=keyed, json=body
                )
            except httpx.TransportError:
                if attempt == ATTEMPTS:
                    raise
                await asyncio.sleep(0.2 * attempt)
                continue
            assert response.status_code == 201, response.text
            stream.posted[pid] += 1
            return

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            await report(client, queue.get_nowait())

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

    expected_deliveries = total + len(stream.programmes)

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
        "review-opened": len(stream.programmes),
    }
