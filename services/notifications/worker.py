"""The delivery worker: sends due deliveries as signed webhooks and records every attempt.

Each round it takes the due deliveries (oldest first), attempts them
concurrently, and then commits the round in one transaction: per attempt the
attempt log row, the delivery's new state and the event that says so
(``notification-delivered``, or ``delivery-failed`` after every failed
attempt, ``final`` when no further attempt will be made); if that transaction
fails, attempt by attempt. All state is in the database, so a restart resumes
where the last commit left off; attempts of a round interrupted before its
commit are simply made again (same ``webhook-id``), at most one round's worth.

An attempt: the URL's host is checked again (no private addresses unless
allow-listed), the stored body is signed (Standard Webhooks) with the
subscription's secret (and a rotated-out one in its grace period), and POSTed
with a bounded timeout, redirects not followed, and ``traceparent`` from a
client span whose parent is the trace that brought the event in.

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
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from services.notifications.context import NotificationsContext
from services.notifications.domain.schedule import parse_retry_after
from services.notifications.domain.signing import signed_headers
from services.notifications.domain.urls import resolve_internal
from services.notifications.storage import store
from services.notifications.storage.tables import AttemptRow, DeliveryRow, SubscriptionRow
from shared import metrics, telemetry
from shared.contracts.notifications import DeliveryFailed, NotificationDelivered
from shared.contracts.vocabulary import DeliveryChannel, DeliveryFailureReason, EventRef
from shared.http.times import as_utc
from shared.service import ServiceRuntime
from shared.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attempted:
    """One attempt made this round, to be recorded."""

    delivery_id: uuid.UUID
    number: int
    at: datetime
    duration_ms: int
    outcome: Outcome
    final: bool


@dataclass(frozen=True)
class Outcome:
    """What one HTTP attempt came to."""

    delivered: bool
    http_status: int | None = None
    reason: DeliveryFailureReason | None = None
    error: str | None = None
    retry_after_s: float | None = None
    gone: bool = False


def signing_secrets(subscription: SubscriptionRow, now: datetime) -> list[str]:
    found = [subscription.secret] if subscription.secret else []
    until = subscription.previous_secret_until
    if subscription.previous_secret and until is not None and as_utc(until) > now:
        found.append(subscription.previous_secret)
    return found


def _classify(response: httpx.Response, now: datetime) -> Outcome:
    status = response.status_code
    if 200 <= status < 300:
        return Outcome(True, status)
    retry_after = parse_retry_after(response.headers.get("retry-after"), now)
    if status == 410:
        return Outcome(
            False, status, DeliveryFailureReason.HTTP_CLIENT_ERROR, "410 Gone", None, True
        )
    reason = (
        DeliveryFailureReason.HTTP_SERVER_ERROR
        if status >= 500
        else DeliveryFailureReason.HTTP_CLIENT_ERROR
    )
    error = f"HTTP {status}" + (" (redirect not followed)" if 300 <= status < 400 else "")
    return Outcome(False, status, reason, error, retry_after)


async def post(
    client: httpx.AsyncClient,
    url: str,
    body: str,
    headers: dict[str, str],
    *,
    now: datetime,
    allowed_hosts: list[str],
) -> Outcome:
    """One signed POST; never raises for what the receiver or the network did."""
    refused = await resolve_internal(url, allowed_hosts)
    if refused is not None:
        return Outcome(False, None, DeliveryFailureReason.CONNECTION_ERROR, refused)
    try:
        response = await client.post(url, content=body.encode(), headers=headers)
    except httpx.TimeoutException:
        return Outcome(False, None, DeliveryFailureReason.TIMEOUT, "timed out")
    except httpx.ConnectError as exc:
        tls = "SSL" in str(exc) or "certificate" in str(exc).lower()
        reason = DeliveryFailureReason.TLS_ERROR if tls else DeliveryFailureReason.CONNECTION_ERROR
        return Outcome(False, None, reason, _short(exc))
    except httpx.HTTPError as exc:
        return Outcome(False, None, DeliveryFailureReason.CONNECTION_ERROR, _short(exc))
    return _classify(response, now)


def _short(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= 300 else text[:297] + "..."


def make_client(ctx: NotificationsContext, timeout: float | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        follow_redirects=False,
        timeout=timeout or ctx.settings.request_timeout_s,
        trust_env=False,
        headers={"user-agent": "taskforce-notifications/1", "content-type": "application/json"},
    )


class DeliveryWorker:
    """Runs with the service (``ServiceRuntime`` background task)."""

    def __init__(self, runtime: ServiceRuntime, ctx: NotificationsContext) -> None:
        self.runtime = runtime
        self.ctx = ctx
        self.policy = ctx.settings.retry_policy()

    async def run(self) -> None:
        async with make_client(self.ctx) as client:
            while True:
                # Cleared before reading what is due: a wake-up during the round is kept.
                self.ctx.wake.clear()
                try:
                    handled = await self.run_once(client)
                except Exception:
                    log.exception("delivery round failed; trying again")
                    handled = 0
                if handled >= self.ctx.settings.batch_size:
                    continue  # a full round: more may be due already
                await self._wait()

    async def _wait(self) -> None:
        """Until deliveries were queued (woken) or the poll interval passed, for retries."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.ctx.wake.wait(), timeout=self.ctx.settings.poll_interval_s)

    async def run_once(self, client: httpx.AsyncClient) -> int:
        """Attempt every due delivery once; returns how many were attempted."""
        async with self.runtime.sessions() as session:
            due = await store.due(session, self.ctx.now(), self.ctx.settings.batch_size)
        attempted = await asyncio.gather(
            *(self.attempt(client, delivery, subscription) for delivery, subscription in due)
        )
        await self._record_round(attempted)
        return len(due)

    async def _record_round(self, attempted: list[Attempted]) -> None:
        """The round's attempts in one transaction; one by one if that transaction fails."""
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
                async with self.runtime.unit_of_work() as uow:
                    await self._record(uow, made)

    async def attempt(
        self, client: httpx.AsyncClient, delivery: DeliveryRow, subscription: SubscriptionRow
    ) -> Attempted:
        """One attempt of a due ``delivery``, as read with its ``subscription`` this round."""
        delivery_id = delivery.delivery_id
        now = self.ctx.now()
        number = delivery.attempts + 1
        if subscription.status in (store.DISABLED, store.DELETED) or subscription.url is None:
            outcome = Outcome(
                False, None, DeliveryFailureReason.SUBSCRIPTION_INACTIVE, "subscription inactive"
            )
            return Attempted(delivery_id, number, now, 0, outcome, final=True)
        started = time.monotonic()
        parent = telemetry.context_from_headers(delivery.trace)
        # Looked up per delivery: a module-level proxy would stay bound to the first provider.
        with trace.get_tracer(__name__).start_as_current_span(
            "POST webhook",
            context=parent,
            kind=SpanKind.CLIENT,
            attributes={
                "http.request.method": "POST",
                "server.address": _host(subscription.url),
                "webhook.id": str(delivery_id),
                "webhook.attempt": number,
                "cloudevents.event_id": delivery.event_id,
                "cloudevents.event_type": delivery.event_type,
            },
        ) as span:
            headers = signed_headers(
                str(delivery_id), now, delivery.body, signing_secrets(subscription, now)
            )
            headers.update(telemetry.current_trace_headers())
            outcome = await post(
                client,
                subscription.url,
                delivery.body,
                headers,
                now=now,
                allowed_hosts=self.ctx.settings.allowed_hosts,
            )
            if outcome.http_status is not None:
                span.set_attribute("http.response.status_code", outcome.http_status)
            if not outcome.delivered:
                span.set_status(Status(StatusCode.ERROR, outcome.reason or "failed"))
        duration = int((time.monotonic() - started) * 1000)
        final = outcome.gone or (
            not outcome.delivered and self.policy.gives_up_after(number - delivery.round_start)
        )
        return Attempted(delivery_id, number, now, duration, outcome, final=final)

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


def _host(url: str) -> str:
    from services.notifications.domain.urls import host_of

    return host_of(url)
