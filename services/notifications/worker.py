"""The delivery worker: runs delivery rounds, attempts what they start, records every attempt.

A loop, with the service (a ``ServiceRuntime`` background task): a round
(``service_layer/delivery_round.py``) starts the due deliveries that have a
slot in their subscription's lane, each attempt runs as a task of its own
(``service_layer/attempts.py``), and the loop waits until it is woken (new
deliveries queued, attempts recorded) or a poll interval passes. Nothing waits
for a whole round: an attempt is recorded as soon as it ends, by a recorder
that commits whatever attempts have ended together in one transaction (one by
one if that transaction fails). All state is in the database: a restart
resumes where the last commit left off, and attempts in flight then are simply
made again (same ``webhook-id``), at most ``MAX_IN_FLIGHT`` of them.

Several replicas may run on one database. Each worker has a name of its own
(``holder``) and claims what its rounds start; while attempts are under way it
renews their claims every third of ``CLAIM_TTL_S``; recording an attempt ends
its claim. A worker that stops gives its claims up; one that dies leaves them
to run out, after at most ``CLAIM_TTL_S``, when another replica takes the
deliveries (and makes the attempts that were in flight again).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Sequence
from datetime import timedelta

from services.notifications.context import NotificationsContext
from services.notifications.domain.deliveries import Attempt, DueDelivery
from services.notifications.service_layer.attempts import (
    attempt_delivery,
    check_secrets_key,
    record_attempt,
)
from services.notifications.service_layer.delivery_round import Lanes, Round, run_delivery_round
from services.notifications.storage import deliveries
from services.notifications.webhooks import EndpointClients
from shared import metrics
from shared.service import ServiceRuntime

log = logging.getLogger(__name__)

#: The most attempts recorded in one transaction.
RECORD_BATCH = 100
#: How long a delivery whose attempt could not even run (a bug, a wrong key) waits.
STUCK_PAUSE_S = 30.0
#: The longest a stopping worker spends giving its claims up.
RELEASE_TIMEOUT_S = 2.0


def worker_name(replica_id: str) -> str:
    """A name no other worker has: the replica's (host and process unless set) and a random
    part, for several workers in one process and replicas named alike on several hosts."""
    return f"{replica_id[:55]}:{uuid.uuid4().hex[:8]}"


class DeliveryWorker:
    def __init__(self, runtime: ServiceRuntime, ctx: NotificationsContext) -> None:
        self.runtime = runtime
        self.ctx = ctx
        self.lanes = Lanes()
        #: Attempts that ended: made (to record), or not even run (a delivery id: to release).
        self._ended: asyncio.Queue[Attempt | uuid.UUID] = asyncio.Queue()
        self._tasks: set[asyncio.Task[None]] = set()
        self._clients = EndpointClients(ctx.settings.request_timeout_s)
        #: Whose claims this worker's are.
        self.holder = worker_name(runtime.settings.replica_id)

    async def run(self) -> None:
        async with self.runtime.sessions() as session:
            await check_secrets_key(session, self.ctx)
        recorder = asyncio.create_task(self._recorder(), name="notifications-recorder")
        keeper = asyncio.create_task(self._keep_claims(), name="notifications-claims")
        try:
            while True:
                # Cleared before reading what is due: a wake-up meanwhile is kept.
                self.ctx.wake.clear()
                started = await self._round()
                if started.started and started.full:
                    continue  # a full read: more may be due already
                await self._wait()
        finally:
            recorder.cancel()
            keeper.cancel()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(recorder, keeper, *self._tasks, return_exceptions=True)
            await self._clients.close()
            await self._release_claims()

    async def _round(self) -> Round:
        try:
            # Claimed in a transaction of its own, committed before any attempt starts.
            async with self.runtime.unit_of_work() as uow:
                started = await run_delivery_round(self.lanes, uow.session, self.ctx, self.holder)
        except Exception:
            log.exception("claiming due deliveries failed; trying again")
            return Round((), full=False)
        limit = self.ctx.settings.per_subscription_concurrency
        for due in started.started:
            # Only releases happened since the round chose it: its slot is still free.
            self.lanes.take(due, limit)
            task = asyncio.create_task(self._attempt(due))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return started

    async def _keep_claims(self) -> None:
        """Renew the claims of the attempts under way, every third of their time to live."""
        ttl = self.ctx.settings.claim_ttl_s
        while True:
            await asyncio.sleep(ttl / 3)
            under_way = self.lanes.deliveries
            if not under_way:
                continue
            until = self.ctx.now() + timedelta(seconds=ttl)
            try:
                async with self.runtime.unit_of_work() as uow:
                    await deliveries.renew(uow.session, self.holder, under_way, until)
            except Exception:
                log.exception("renewing %d claims failed; trying again", len(under_way))

    async def _release_claims(self) -> None:
        """Give up the claims of attempts cut short by stopping: other replicas go on at once."""
        try:
            async with asyncio.timeout(RELEASE_TIMEOUT_S), self.runtime.unit_of_work() as uow:
                await deliveries.release(uow.session, self.holder)
        except Exception:
            log.warning("claims of %s not released; they run out instead", self.holder)

    async def _wait(self) -> None:
        """Until deliveries were queued or attempts recorded (woken), or a poll interval passed."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.ctx.wake.wait(), timeout=self.ctx.settings.poll_interval_s)

    async def _attempt(self, due: DueDelivery) -> None:
        try:
            async with self._clients.to(due.subscription.url) as client:
                made = await attempt_delivery(due, client, self.ctx)
        except Exception:
            log.exception("attempt of delivery %s failed to run", due.delivery.delivery_id)
            # Its slot stays taken for a while: trying again at once would only spin.
            await asyncio.sleep(STUCK_PAUSE_S)
            await self._ended.put(due.delivery.delivery_id)
            return
        await self._ended.put(made)

    async def _recorder(self) -> None:
        """Commit attempts as they end, together when several ended at once."""
        while True:
            ended = [await self._ended.get()]
            while len(ended) < RECORD_BATCH and not self._ended.empty():
                ended.append(self._ended.get_nowait())
            made = [item for item in ended if isinstance(item, Attempt)]
            try:
                if made:
                    await self._record(made)
            except Exception:
                log.exception("recording %d attempts failed; made again later", len(made))
            finally:
                for item in ended:
                    self.lanes.release(item.delivery_id if isinstance(item, Attempt) else item)
                self.ctx.wake.set()  # slots are free: look for what is due

    async def _record(self, ended: Sequence[Attempt]) -> None:
        """The attempts in one transaction; one by one if that transaction fails."""
        # Rows are locked in one order whichever replica records them: the subscription's
        # outbox sequence (each recorded attempt emits an event keyed by its subscription),
        # then the delivery. Two replicas' batches then never wait for each other in a
        # cycle; by delivery id alone, two batches spanning the same subscriptions took
        # their sequence rows in opposite orders and deadlocked on PostgreSQL.
        made = sorted(ended, key=lambda attempt: (attempt.subscription_id, attempt.delivery_id))
        for attempt in made:
            outcome = attempt.outcome
            metrics.record_delivery_attempt(
                self.runtime.service,
                outcome.status.value,
                outcome.reason.value if outcome.reason else None,
            )
        try:
            async with self.runtime.unit_of_work() as uow:
                for attempt in made:
                    await record_attempt(attempt, uow, self.ctx)
        except Exception:
            if len(made) == 1:
                raise
            log.exception("recording %d attempts together failed; one by one", len(made))
            for attempt in made:
                try:
                    async with self.runtime.unit_of_work() as uow:
                        await record_attempt(attempt, uow, self.ctx)
                except Exception:
                    log.exception("recording attempt of %s failed", attempt.delivery_id)
