"""The worker's endpoints are independent: a slow one delays nobody else; re-sends are limited.

No broker: the offline app (``offline.py``) with the delivery worker run by the
test, against real local receivers.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import httpx

from services.notifications.context import NotificationsContext
from services.notifications.domain.deliveries import DeliveryStatus
from services.notifications.domain.resends import ResendLimiter
from services.notifications.storage import deliveries
from services.notifications.worker import DeliveryWorker
from tests.notifications.conftest import (
    FLAGGED,
    Service,
    cloud_event,
    deliver,
    fast_settings,
    flagged,
)
from tests.notifications.offline import offline
from tests.support import eventually
from tests.webhook_receiver import Receiver

__all__ = ["offline"]  # the fixture, imported for pytest to find


def context_of(service: Service) -> NotificationsContext:
    ctx: NotificationsContext = service.app.state.context
    return ctx


@asynccontextmanager
async def working(
    service: Service, ctx: NotificationsContext | None = None
) -> AsyncIterator[DeliveryWorker]:
    worker = DeliveryWorker(service.runtime, ctx or context_of(service))
    task = asyncio.create_task(worker.run())
    try:
        yield worker
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def statuses(service: Service) -> dict[uuid.UUID, list[str]]:
    found: dict[uuid.UUID, list[str]] = {}
    for row in await service.deliveries():
        found.setdefault(row.subscription_id, []).append(row.status)
    return found


async def test_a_slow_endpoint_does_not_delay_another_organisations_delivery(
    offline: Service,
) -> None:
    """The slow endpoint's three older deliveries are due first; the other one goes anyway."""
    settings = fast_settings(batch_size=2, per_subscription_concurrency=1, request_timeout_s=5)
    ctx = replace(context_of(offline), settings=settings)
    slow, fast = Receiver(delay_s=3.0).start(), Receiver().start()
    try:
        am = await offline.subscribe("am", url=slow.url("/am"), eventTypes=[FLAGGED], channels=[])
        for _ in range(3):
            await deliver(offline, cloud_event(flagged()))
        coa = await offline.subscribe(
            "coa", url=fast.url("/coa"), eventTypes=[FLAGGED], channels=[]
        )
        await deliver(offline, cloud_event(flagged()))
        slow_id, fast_id = uuid.UUID(am["subscriptionId"]), uuid.UUID(coa["subscriptionId"])
        async with working(offline, ctx):
            started = time.monotonic()

            async def fast_delivered() -> bool:
                return (await statuses(offline)).get(fast_id) == [DeliveryStatus.DELIVERED]

            await eventually(fast_delivered, timeout=10)
            took = time.monotonic() - started
            assert took < 2.0, f"the other organisation's delivery waited {took:.1f} s"
            assert DeliveryStatus.DELIVERED not in (await statuses(offline))[slow_id]
            assert len(fast.deliveries("/coa")) == 1
    finally:
        slow.stop()
        fast.stop()


async def test_each_attempt_is_recorded_when_it_ends_and_retries_keep_the_webhook_id(
    offline: Service,
    receiver: Receiver,
) -> None:
    created = await offline.subscribe(
        "dtv", url=receiver.url("/dtv"), eventTypes=[FLAGGED], channels=[]
    )
    receiver.respond(503)
    await deliver(offline, cloud_event(flagged()))
    async with working(offline):

        async def delivered() -> bool:
            return (await statuses(offline)).get(uuid.UUID(created["subscriptionId"])) == [
                DeliveryStatus.DELIVERED
            ]

        await eventually(delivered, timeout=10)
    first, second = receiver.deliveries("/dtv")
    assert first.webhook_id == second.webhook_id
    second.verified(created["secret"])
    (row,) = await offline.deliveries()
    async with offline.runtime.sessions() as session:
        attempts = await deliveries.attempts_of(session, row.delivery_id)
    assert [(a.number, a.http_status, a.error) for a in attempts] == [
        (1, 503, "HTTP 503"),
        (2, 204, None),
    ]


async def test_re_sends_are_limited_per_subscription(
    offline: Service,
    receiver: Receiver,
) -> None:
    limited = replace(context_of(offline), resends=ResendLimiter(limit=2, window_s=60))
    offline.app.state.context = limited
    for organisation in ("kmar", "ind"):
        await offline.subscribe(
            organisation,
            url=receiver.url(f"/{organisation}"),
            eventTypes=[FLAGGED],
            channels=[],
        )
    await deliver(offline, cloud_event(flagged()))
    by_organisation = {row.organisation: row.delivery_id for row in await offline.deliveries()}

    async def resend(organisation: str) -> httpx.Response:
        delivery_id = by_organisation[organisation]
        return await offline.client.post(
            f"/v1/deliveries/{delivery_id}/resend", headers=offline.auth(organisation)
        )

    assert [(await resend("kmar")).status_code for _ in range(2)] == [202, 202]
    refused = await resend("kmar")
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "re-sends" in refused.json()["detail"]
    assert (await resend("ind")).status_code == 202
