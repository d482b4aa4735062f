"""Several replicas on one database: each delivery sent once, every outcome kept, one routing.

Two replicas (``replicas.py``) on the same database, on SQLite and on
PostgreSQL, broker-free: their delivery workers race over the same due
deliveries; an attempt's outcome is in the database before the rest of its
round ends; a subscription changed through one replica routes the next event
on the other.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from services.notifications.domain.deliveries import DeliveryStatus
from services.notifications.storage import deliveries
from services.notifications.storage.tables import AttemptRow, DeliveryRow
from shared.contracts.monitoring import ProgrammeFlagged
from shared.events.envelope import CloudEvent
from tests.databases import TestDatabases
from tests.notifications.conftest import FLAGGED, Service, cloud_event, deliver, fast_settings
from tests.notifications.replicas import context_of, pair, working
from tests.support import eventually, example
from tests.webhook_receiver import Received, Receiver

#: Events routed to each of three subscriptions before the workers start.
EVENTS = 40
ORGANISATIONS = ("am", "kmar", "bz")


async def delivery_rows(service: Service) -> list[DeliveryRow]:
    return await service.deliveries()


async def attempts_per_delivery(service: Service) -> dict[uuid.UUID, int]:
    async with service.runtime.sessions() as session:
        rows = await session.execute(
            select(AttemptRow.delivery_id, func.count()).group_by(AttemptRow.delivery_id)
        )
        return {delivery_id: count for delivery_id, count in rows.all()}


async def test_two_replicas_racing_over_the_same_due_deliveries_send_each_once(
    tmp_path: Path, database: TestDatabases, receiver: Receiver
) -> None:
    """Both workers start together on 120 due deliveries, each free to take 20 a round.

    Without the claims this fails: with ``deliveries.claim`` replaced by the
    plain read of due deliveries the worker used before (``deliveries.due``),
    the two workers read the same oldest rows and the receiver got most
    webhooks more than once (on PostgreSQL all 120 ids, some three times; on
    SQLite 101 of the 120).
    """
    # No attempt times out on a busy machine: a retry would be a second webhook too.
    settings = fast_settings(batch_size=20, per_subscription_concurrency=20, request_timeout_s=30)
    url = database.url_for("notifications", tmp_path)
    async with pair(tmp_path, url, settings) as (first, second):
        for organisation in ORGANISATIONS:
            await first.subscribe(
                organisation,
                url=receiver.url(f"/{organisation}"),
                eventTypes=[FLAGGED],
                channels=[],
            )
        for _ in range(EVENTS):
            await deliver(first, cloud_event(flagged_event()))
        queued = {row.delivery_id for row in await delivery_rows(first)}
        assert len(queued) == EVENTS * len(ORGANISATIONS)

        async def all_delivered() -> bool:
            rows = await delivery_rows(second)
            return all(row.status == DeliveryStatus.DELIVERED for row in rows)

        async with working(first, second):
            await eventually(all_delivered, timeout=60)
        assert receiver.repeated_ids() == {}, "a delivery was sent by both replicas"
        assert {uuid.UUID(r.webhook_id) for r in receiver.deliveries()} == queued
        assert set((await attempts_per_delivery(first)).values()) == {1}
        assert all(row.claimed_by is None for row in await delivery_rows(first))


async def test_a_dead_replicas_claims_run_out_and_another_replica_takes_its_deliveries(
    tmp_path: Path, database: TestDatabases, receiver: Receiver
) -> None:
    url = database.url_for("notifications", tmp_path)
    async with pair(tmp_path, url) as (first, second):
        await first.subscribe("dtv", url=receiver.url("/dtv"), eventTypes=[FLAGGED])
        await deliver(first, cloud_event(flagged_event()))
        ctx = context_of(first)
        async with first.runtime.unit_of_work() as uow:
            now = ctx.now()
            (claimed,) = await deliveries.claim(
                uow.session, now, 10, holder="dead-replica", until=now + timedelta(seconds=1.5)
            )
        started = time.monotonic()
        async with working(second):

            async def delivered() -> bool:
                (row,) = await delivery_rows(second)
                return row.status == DeliveryStatus.DELIVERED

            await eventually(delivered, timeout=10)
        took = time.monotonic() - started
        assert took >= 1.0, f"taken over after {took:.1f} s, while the claim still held"
        (received,) = receiver.deliveries("/dtv")
        assert received.webhook_id == str(claimed.delivery.delivery_id)


@dataclass
class HoldingReceiver(Receiver):
    """A receiver that keeps the notifications to ``held_path`` waiting until ``release``."""

    held_path: str = "/held"
    release: threading.Event = field(default_factory=threading.Event)
    arrived: threading.Event = field(default_factory=threading.Event)

    def _answer(self, request: Received) -> tuple[int, dict[str, str]]:
        if request.is_notification and request.path == self.held_path:
            self.arrived.set()
            self.release.wait(timeout=20)
        return super()._answer(request)


async def test_an_attempt_is_durable_before_the_rest_of_its_round_ends(
    tmp_path: Path, database: TestDatabases
) -> None:
    """One event, two subscriptions: one round starts both deliveries; the receiver keeps
    the second waiting, and the first one's outcome is already committed meanwhile (a
    kill now would repeat only the held attempt)."""
    receiver = HoldingReceiver()
    receiver.start()
    url = database.url_for("notifications", tmp_path)
    try:
        async with pair(tmp_path, url, fast_settings(request_timeout_s=20)) as (first, _):
            quick = await first.subscribe("am", url=receiver.url("/am"), eventTypes=[FLAGGED])
            held = await first.subscribe("ind", url=receiver.url("/held"), eventTypes=[FLAGGED])
            await deliver(first, cloud_event(flagged_event()))
            by_subscription = {str(row.subscription_id): row for row in await first.deliveries()}
            quick_id = by_subscription[quick["subscriptionId"]].delivery_id
            held_id = by_subscription[held["subscriptionId"]].delivery_id

            async def quick_recorded() -> bool:
                return quick_id in await attempts_per_delivery(first)

            async with working(first):
                await eventually(receiver.arrived.is_set, timeout=10)
                await eventually(quick_recorded, timeout=10)
                # Read by the other replica, on a connection of its own: committed.
                async with first.runtime.sessions() as session:
                    done = await session.get(DeliveryRow, quick_id)
                    waiting = await session.get(DeliveryRow, held_id)
                    assert done is not None and waiting is not None
                    assert done.status == DeliveryStatus.DELIVERED
                    assert done.claimed_by is None, "its claim ended with its record"
                    assert waiting.status == DeliveryStatus.PENDING and waiting.attempts == 0
                    assert waiting.claimed_by is not None, "in flight, claimed in the round"
                assert held_id not in await attempts_per_delivery(first)
                receiver.release.set()

                async def both_delivered() -> bool:
                    rows = await first.deliveries()
                    return all(row.status == DeliveryStatus.DELIVERED for row in rows)

                await eventually(both_delivered, timeout=10)
    finally:
        receiver.release.set()
        receiver.stop()


FIRST, SECOND = "prg-2026-0201", "prg-2026-0202"


def flagged_event(programme_id: str | None = None) -> ProgrammeFlagged:
    return example(
        ProgrammeFlagged,
        programmeId=programme_id or f"prg-2026-{uuid.uuid4().int % 10000:04d}",
        flagId=str(uuid.uuid4()),
        owningOrganisation="bz",
        partnerOrganisations=[],
    )


async def reaches_inbox(routing: Service, reading: Service, programme_id: str) -> bool:
    """A flag about ``programme_id`` routed by ``routing``; whether "ind" has it."""
    event: CloudEvent = cloud_event(flagged_event(programme_id))
    await deliver(routing, event)
    inbox = await reading.client.get("/v1/inbox", headers=reading.auth("ind", []))
    return event.id in {item["eventId"] for item in inbox.json()["items"]}


async def test_a_change_through_one_replica_routes_the_next_event_on_the_other(
    tmp_path: Path, database: TestDatabases
) -> None:
    url = database.url_for("notifications", tmp_path)
    async with pair(tmp_path, url) as (changing, routing):
        cache = context_of(routing).subscribers
        assert not await reaches_inbox(routing, changing, FIRST), "nobody subscribed yet"
        created = await changing.subscribe("ind", filters={"programmeId": [FIRST]})
        assert await reaches_inbox(routing, changing, FIRST)
        assert not await reaches_inbox(routing, changing, SECOND)
        version = cache.version
        assert await reaches_inbox(routing, changing, FIRST)
        assert cache.version == version, "unchanged: routed from the cache"

        path = f"/v1/subscriptions/{created['subscriptionId']}"
        headers = changing.auth("ind")
        changed = await changing.client.patch(
            path, json={"filters": {"programmeId": [SECOND]}}, headers=headers
        )
        assert changed.status_code == 200, changed.text
        assert await reaches_inbox(routing, changing, SECOND)
        assert not await reaches_inbox(routing, changing, FIRST)

        assert (await changing.client.post(f"{path}/pause", headers=headers)).status_code == 200
        assert await reaches_inbox(routing, changing, SECOND), "paused: the inbox still gets it"
        assert (await changing.client.delete(path, headers=headers)).status_code == 204
        assert not await reaches_inbox(routing, changing, SECOND)
