"""The delivery worker: sends due deliveries as signed webhooks and records every attempt.

Each endpoint is attempted on its own. The dispatcher reads due deliveries
(oldest first) and starts each as a task of its own, at most
``PER_SUBSCRIPTION_CONCURRENCY`` at a time per subscription and
``MAX_IN_FLIGHT`` in all; a subscription at its limit is left out of the next
read, so one organisation's slow or hanging endpoint holds only its own few
slots and never the deliveries of anyone else. Nothing waits for a whole
round: an attempt is recorded as soon as it ends, by a recorder that commits
whatever attempts have ended together in one transaction (one by one if that
transaction fails): the attempt log row, the delivery's new state and the
event that says so (``notification-delivered``, or ``delivery-failed`` after
every failed attempt, ``final`` when no further attempt will be made). A
delivery stays "in flight" until its attempt is committed, so it is never
dispatched twice. All state is in the database: a restart resumes where the
last commit left off, and attempts in flight then are simply made again (same
``webhook-id``), at most ``MAX_IN_FLIGHT`` of them.

An attempt (``webhooks.post``): the host is resolved once and every
address checked (no non-public address unless the endpoint is allow-listed),
the request goes to the checked address, the stored body is signed (Standard
Webhooks) with the subscription's secret (and a rotated-out one in its grace
period), opened from the secret box, and POSTed within one deadline, redirects
not followed, and ``traceparent`` from a client span whose parent is the trace
that brought the event in.

Outcomes: 2xx delivered; 410 Gone disables the subscription and fails the
delivery for good; anything else (other statuses, 3xx included, timeouts,
connection errors) schedules the next attempt by the retry policy, honouring
``Retry-After``, until the attempts are used up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from services.notifications.context import NotificationsContext
from services.notifications.domain.signing import signed_headers
from services.notifications.domain.urls import host_of
from services.notifications.storage import store
from services.notifications.storage.secret_box import SecretBox
from services.notifications.storage.tables import AttemptRow, DeliveryRow, SubscriptionRow
from services.notifications.webhooks import Outcome, make_client, post
from shared import metrics, telemetry
from shared.contracts.notifications import DeliveryFailed, NotificationDelivered
from shared.contracts.vocabulary import DeliveryChannel, DeliveryFailureReason, EventRef
from shared.http.times import as_utc
from shared.service import ServiceRuntime
from shared.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

__all__ = ["Attempted", "DeliveryWorker", "Outcome", "signing_secrets"]

#: The most attempts recorded in one transaction.
RECORD_BATCH = 100
#: How long a delivery whose attempt could not even run (a bug, a wrong key) waits.
STUCK_PAUSE_S = 30.0


@dataclass(frozen=True)
class Attempted:
    """One attempt made, to be recorded."""

    delivery_id: uuid.UUID
    subscription_id: uuid.UUID
    number: int
    at: datetime
    duration_ms: int
    outcome: Outcome
    final: bool


def signing_secrets(subscription: SubscriptionRow, now: datetime, box: SecretBox) -> list[str]:
    """The secrets to sign with, opened; ``SecretsKeyError`` if the key does not open them."""
    found = [box.open(subscription.secret)] if subscription.secret else []
    until = subscription.previous_secret_until
    if subscription.previous_secret and until is not None and as_utc(until) > now:
        found.append(box.open(subscription.previous_secret))
    return found


class DeliveryWorker:
    """Runs with the service (``ServiceRuntime`` background task)."""

    def __init__(self, runtime: ServiceRuntime, ctx: NotificationsContext) -> None:
        self.runtime = runtime
        self.ctx = ctx
        self.policy = ctx.settings.retry_policy()
        #: Dispatched and not yet recorded: delivery id -> subscription id.
        self._in_flight: dict[uuid.UUID, uuid.UUID] = {}
        self._per_subscription: Counter[uuid.UUID] = Counter()
        self._ended: asyncio.Queue[Attempted | uuid.UUID] = asyncio.Queue()
        self._tasks: set[asyncio.Task[None]] = set()
        #: One client per endpoint (scheme, host, port) while attempts to it are in flight.
        self._clients: dict[str, tuple[httpx.AsyncClient, int]] = {}

    async def run(self) -> None:
        await self.check_secrets_key()
        recorder = asyncio.create_task(self._recorder(), name="notifications-recorder")
        try:
            while True:
                # Cleared before reading what is due: a wake-up meanwhile is kept.
                self.ctx.wake.clear()
                try:
                    dispatched, full = await self.dispatch_once()
                except Exception:
                    log.exception("reading due deliveries failed; trying again")
                    dispatched, full = 0, False
                if dispatched and full:
                    continue  # a full read: more may be due already
                await self._wait()
        finally:
            recorder.cancel()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(recorder, *self._tasks, return_exceptions=True)
            for client, _ in self._clients.values():
                await client.aclose()

    async def check_secrets_key(self) -> None:
        """Refuse to run when the secrets key does not open a stored secret (wrong key)."""
        async with self.runtime.sessions() as session:
            sealed = await store.some_secret(session)
        if sealed is not None:
            try:
                self.ctx.secrets.open(sealed)
            except Exception:
                log.critical("the webhook secrets do not open with this key; no deliveries")
                raise

    async def _wait(self) -> None:
        """Until deliveries were queued or attempts recorded (woken), or a poll interval passed."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.ctx.wake.wait(), timeout=self.ctx.settings.poll_interval_s)

    async def dispatch_once(self) -> tuple[int, bool]:
        """Start attempts of due deliveries; how many started, and whether the read was full."""
        settings = self.ctx.settings
        room = settings.max_in_flight - len(self._in_flight)
        if room <= 0:
            return 0, False
        limit = settings.per_subscription_concurrency
        busy = [s for s, n in self._per_subscription.items() if n >= limit]
        async with self.runtime.sessions() as session:
            due = await store.due(
                session,
                self.ctx.now(),
                min(settings.batch_size, room),
                not_deliveries=list(self._in_flight),
                not_subscriptions=busy,
            )
        started = 0
        for delivery, subscription in due:
            sid = subscription.subscription_id
            if self._per_subscription[sid] >= limit:
                continue  # its next ones wait for a slot of their own subscription
            self._in_flight[delivery.delivery_id] = sid
            self._per_subscription[sid] += 1
            task = asyncio.create_task(self._attempt_and_hand_over(delivery, subscription))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            started += 1
        return started, len(due) >= min(settings.batch_size, room)

    async def _attempt_and_hand_over(
        self, delivery: DeliveryRow, subscription: SubscriptionRow
    ) -> None:
        key = _client_key(subscription.url)
        client = self._client(key)
        try:
            made = await self.attempt(client, delivery, subscription)
        except Exception:
            log.exception("attempt of delivery %s failed to run", delivery.delivery_id)
            # Its slot stays taken for a while: trying again at once would only spin.
            await asyncio.sleep(STUCK_PAUSE_S)
            await self._ended.put(delivery.delivery_id)
            return
        finally:
            await self._release_client(key)
        await self._ended.put(made)

    def _client(self, key: str) -> httpx.AsyncClient:
        found = self._clients.get(key)
        client, users = found or (make_client(self.ctx.settings.request_timeout_s), 0)
        self._clients[key] = (client, users + 1)
        return client

    async def _release_client(self, key: str) -> None:
        client, users = self._clients[key]
        if users > 1:
            self._clients[key] = (client, users - 1)
            return
        del self._clients[key]
        await client.aclose()

    async def _recorder(self) -> None:
        """Commit attempts as they end, together when several ended at once."""
        while True:
            ended = [await self._ended.get()]
            while len(ended) < RECORD_BATCH and not self._ended.empty():
                ended.append(self._ended.get_nowait())
            attempted = [e for e in ended if isinstance(e, Attempted)]
            try:
                if attempted:
                    await self._record_all(attempted)
            except Exception:
                log.exception("recording %d attempts failed; made again later", len(attempted))
            finally:
                for item in ended:
                    self._release(item.delivery_id if isinstance(item, Attempted) else item)
                self.ctx.wake.set()  # slots are free: look for what is due

    def _release(self, delivery_id: uuid.UUID) -> None:
        sid = self._in_flight.pop(delivery_id, None)
        if sid is not None:
            self._per_subscription[sid] -= 1
            if self._per_subscription[sid] <= 0:
                del self._per_subscription[sid]

    async def _record_all(self, attempted: list[Attempted]) -> None:
        """The attempts in one transaction; one by one if that transaction fails."""
        for made in attempted:
            metrics.record_delivery_attempt(
                self.runtime.service,
                "delivered" if made.outcome.delivered else "failed",
                made.outcome.reason.value if made.outcome.reason else None,
            )
        try:
            async with self.runtime.unit_of_work() as uow:
                for made in attempted:
                    await self._record(uow, made)
        except Exception:
            if len(attempted) == 1:
                raise
            log.exception("recording %d attempts together failed; one by one", len(attempted))
            for made in attempted:
                try:
                    async with self.runtime.unit_of_work() as uow:
                        await self._record(uow, made)
                except Exception:
                    log.exception("recording attempt of %s failed", made.delivery_id)

    async def attempt(
        self, client: httpx.AsyncClient, delivery: DeliveryRow, subscription: SubscriptionRow
    ) -> Attempted:
        """One attempt of a due ``delivery``, as read with its ``subscription``."""
        delivery_id, sid = delivery.delivery_id, subscription.subscription_id
        now = self.ctx.now()
        number = delivery.attempts + 1
        if subscription.status in (store.DISABLED, store.DELETED) or subscription.url is None:
            outcome = Outcome(
                False, None, DeliveryFailureReason.SUBSCRIPTION_INACTIVE, "subscription inactive"
            )
            return Attempted(delivery_id, sid, number, now, 0, outcome, final=True)
        secrets = signing_secrets(subscription, now, self.ctx.secrets)  # raises on a wrong key
        started = time.monotonic()
        parent = telemetry.context_from_headers(delivery.trace)
        # Looked up per delivery: a module-level proxy would stay bound to the first provider.
        with trace.get_tracer(__name__).start_as_current_span(
            "POST webhook",
            context=parent,
            kind=SpanKind.CLIENT,
            attributes={
                "http.request.method": "POST",
                "server.address": host_of(subscription.url),
                "webhook.id": str(delivery_id),
                "webhook.attempt": number,
                "cloudevents.event_id": delivery.event_id,
                "cloudevents.event_type": delivery.event_type,
            },
        ) as span:
            headers = signed_headers(str(delivery_id), now, delivery.body, secrets)
            headers.update(telemetry.current_trace_headers())
            outcome = await post(
                client,
                subscription.url,
                delivery.body,
                headers,
                now=now,
                allowed=self.ctx.settings.allowed_endpoints,
                deadline_s=self.ctx.settings.request_timeout_s,
                resolve=self.ctx.resolve,
            )
            if outcome.http_status is not None:
                span.set_attribute("http.response.status_code", outcome.http_status)
            if not outcome.delivered:
                span.set_status(Status(StatusCode.ERROR, outcome.reason or "failed"))
        duration = int((time.monotonic() - started) * 1000)
        final = outcome.gone or (
            not outcome.delivered and self.policy.gives_up_after(number - delivery.round_start)
        )
        return Attempted(delivery_id, sid, number, now, duration, outcome, final=final)

    async def _record(self, uow: UnitOfWork, made: Attempted) -> None:
        """The attempt, the delivery's new state and its event, in ``uow``."""
        delivery_id, number, now, outcome = made.delivery_id, made.number, made.at, made.outcome
        duration_ms, final = made.duration_ms, made.final
        session = uow.session
        delivery = await store.delivery(session, delivery_id)
        if delivery is None or delivery.status != store.PENDING:
            return  # re-sent or finished meanwhile
        if delivery.attempts >= number:
            return  # another round recorded this attempt already
        session.add(
            AttemptRow(
                delivery_id=delivery_id,
                number=number,
                attempted_at=now,
                duration_ms=duration_ms,
                outcome=store.DELIVERED if outcome.delivered else store.FAILED,
                http_status=outcome.http_status,
                reason=outcome.reason.value if outcome.reason else None,
                error=outcome.error,
            )
        )
        delivery.attempts = number
        delivery.last_http_status = outcome.http_status
        delivery.last_reason = outcome.reason.value if outcome.reason else None
        delivery.updated_at = now
        if outcome.delivered:
            delivery.status = store.DELIVERED
            delivery.delivered_at = now
            delivery.next_attempt_at = None
            latency = max(0, int((now - as_utc(delivery.event_time)).total_seconds() * 1000))
            await uow.emit(
                NotificationDelivered(
                    **self._common(delivery, number),
                    http_status=outcome.http_status,
                    latency_ms=latency,
                )
            )
            return
        next_at: datetime | None = None
        if final:
            delivery.status = store.FAILED
            delivery.next_attempt_at = None
        else:
            wait = self.policy.delay(number - delivery.round_start, outcome.retry_after_s)
            next_at = now + timedelta(seconds=wait)
            delivery.next_attempt_at = next_at
        if outcome.gone:
            subscription = await store.subscription(session, delivery.subscription_id)
            if subscription is not None and subscription.status == store.ACTIVE:
                subscription.status = store.DISABLED
                subscription.status_reason = "The receiver answered 410 Gone."
                subscription.updated_at = now
                log.warning("subscription %s disabled: 410 Gone", subscription.subscription_id)
        await uow.emit(
            DeliveryFailed(
                **self._common(delivery, number),
                reason=outcome.reason or DeliveryFailureReason.CONNECTION_ERROR,
                http_status=outcome.http_status,
                final=final,
                next_attempt_at=next_at,
            )
        )

    def _common(self, delivery: DeliveryRow, number: int) -> dict[str, object]:
        return {
            "subscription_id": delivery.subscription_id,
            "delivery_id": delivery.delivery_id,
            "delivery_url": self.ctx.delivery_url(delivery.delivery_id),
            "organisation": delivery.organisation,
            "channel": DeliveryChannel.WEBHOOK,
            "notified_event": EventRef(
                event_id=uuid.UUID(delivery.event_id),
                event_type=delivery.event_type,
                source=delivery.event_source,
            ),
            "attempt": number,
        }


def _client_key(url: str | None) -> str:
    """Attempts to the same scheme, host and port share a client (and its connections)."""
    parts = httpx.URL(url or "http://invalid/")
    return f"{parts.scheme}://{parts.host}:{parts.port}"
