"""A delivery round: the due deliveries that may start now, within the concurrency limits.

Each endpoint is attempted on its own. A round reads due deliveries (oldest
first) and starts each, at most ``PER_SUBSCRIPTION_CONCURRENCY`` at a time
per subscription and ``MAX_IN_FLIGHT`` in all (:class:`Lanes`); a
subscription at its limit is left out of the read, so one organisation's slow
or hanging endpoint holds only its own few slots and never the deliveries of
anyone else. A delivery stays in its lane until its attempt is recorded, so
this worker never starts it twice.

What a round starts it claims (``storage/deliveries.claim``), in the round's
own short transaction, so no other replica on the same database starts it
too: each replica's lanes hold what it claimed, and the limits are per
replica (N replicas make at most N times ``PER_SUBSCRIPTION_CONCURRENCY``
attempts to one endpoint at once).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.context import NotificationsContext
from services.notifications.domain.deliveries import DueDelivery
from services.notifications.storage import deliveries


class Lanes:
    """The attempts under way, by delivery, each counted against its subscription."""

    def __init__(self) -> None:
        self._in_flight: dict[uuid.UUID, uuid.UUID] = {}
        self._per_subscription: Counter[uuid.UUID] = Counter()

    def __len__(self) -> int:
        return len(self._in_flight)

    @property
    def deliveries(self) -> list[uuid.UUID]:
        return list(self._in_flight)

    def busy(self, limit: int) -> list[uuid.UUID]:
        """The subscriptions with ``limit`` attempts under way."""
        return [s for s, n in self._per_subscription.items() if n >= limit]

    def take(self, due: DueDelivery, limit: int) -> bool:
        """Start ``due`` in its subscription's lane, unless that has ``limit`` under way."""
        subscription_id = due.subscription.subscription_id
        if self._per_subscription[subscription_id] >= limit:
            return False
        self._in_flight[due.delivery.delivery_id] = subscription_id
        self._per_subscription[subscription_id] += 1
        return True

    def fitting(self, due: Sequence[DueDelivery], limit: int) -> list[DueDelivery]:
        """Those of ``due`` that would have a slot, in order, without taking any yet."""
        counts = Counter(self._per_subscription)
        chosen: list[DueDelivery] = []
        for item in due:
            subscription_id = item.subscription.subscription_id
            if counts[subscription_id] < limit:
                counts[subscription_id] += 1
                chosen.append(item)
        return chosen

    def release(self, delivery_id: uuid.UUID) -> None:
        """The delivery's attempt was recorded (or could not be): its slot is free."""
        subscription_id = self._in_flight.pop(delivery_id, None)
        if subscription_id is not None:
            self._per_subscription[subscription_id] -= 1
            if self._per_subscription[subscription_id] <= 0:
                del self._per_subscription[subscription_id]


@dataclass(frozen=True)
class Round:
    """What a round started, and whether its read was full (more may be due already)."""

    started: tuple[DueDelivery, ...]
    full: bool


async def run_delivery_round(
    lanes: Lanes, session: AsyncSession, ctx: NotificationsContext, holder: str
) -> Round:
    """Claim for ``holder`` the due deliveries that have a slot in ``lanes`` now.

    Nothing is taken into ``lanes`` yet: the caller takes what the round
    started once ``session``'s transaction has committed the claims (a round
    that fails to commit must leave no slot taken), then attempts it.
    """
    settings = ctx.settings
    room = settings.max_in_flight - len(lanes)
    if room <= 0:
        return Round((), full=False)
    limit = settings.per_subscription_concurrency
    wanted = min(settings.batch_size, room)
    now = ctx.now()
    claimed = await deliveries.claim(
        session,
        now,
        wanted,
        holder=holder,
        until=now + timedelta(seconds=settings.claim_ttl_s),
        not_deliveries=lanes.deliveries,
        not_subscriptions=lanes.busy(limit),
    )
    # Its next ones wait for a slot of their own subscription: released again at once, so
    # that any replica (this one too) may start them as soon as a slot is free.
    started = lanes.fitting(claimed, limit)
    if len(started) < len(claimed):
        taken = {item.delivery.delivery_id for item in started}
        waiting = [item.delivery.delivery_id for item in claimed]
        await deliveries.release(session, holder, [i for i in waiting if i not in taken])
    return Round(tuple(started), full=len(claimed) >= wanted)
