"""An attempt of a due delivery, and recording it: the log, the delivery's next state, the event.

An attempt (``webhooks.post``): the host is resolved once and every address
checked (no non-public address unless the endpoint is allow-listed), the
request goes to the checked address, the stored body is signed (Standard
Webhooks) with the subscription's secret (and a rotated-out one in its grace
period), opened from the secret box, and POSTed within one deadline, redirects
not followed, and ``traceparent`` from a client span whose parent is the trace
that brought the event in.

Recording it, in one unit of work: the attempt log row, the delivery's new
state (``Delivery.after``) and the event that says so
(``notification-delivered``, or ``delivery-failed`` after every failed
attempt, ``final`` when no further attempt will be made). A 410 Gone disables
the subscription. The delivery's claim ends with the same UPDATE. An attempt
that a re-send, another round or another replica overtook is not recorded again.
"""

from __future__ import annotations

import logging
import time

import httpx
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications import events
from services.notifications.context import NotificationsContext
from services.notifications.domain.deliveries import INACTIVE, Attempt, DueDelivery
from services.notifications.domain.signing import signed_headers
from services.notifications.domain.urls import host_of
from services.notifications.service_layer.changes import subscriptions_changed
from services.notifications.storage import deliveries, subscriptions
from services.notifications.webhooks import post
from shared import telemetry
from shared.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


async def check_secrets_key(session: AsyncSession, ctx: NotificationsContext) -> None:
    """Refuse to deliver when the secrets key does not open a stored secret (a wrong key)."""
    sealed = await subscriptions.some_secret(session)
    if sealed is not None:
        try:
            ctx.secrets.open(sealed)
        except Exception:
            log.critical("the webhook secrets do not open with this key; no deliveries")
            raise


async def attempt_delivery(
    due: DueDelivery, client: httpx.AsyncClient, ctx: NotificationsContext
) -> Attempt:
    """One attempt of ``due``; ``SecretsKeyError`` if the key does not open its secrets."""
    delivery, subscription = due.delivery, due.subscription
    delivery_id, subscription_id = delivery.delivery_id, subscription.subscription_id
    now = ctx.now()
    number = delivery.next_number
    url = subscription.url
    if url is None or not subscription.takes_webhooks:
        return Attempt(delivery_id, subscription_id, number, now, 0, INACTIVE, final=True)
    secrets = [ctx.secrets.open(sealed) for sealed in subscription.signing_secrets(now)]
    started = time.monotonic()
    parent = telemetry.context_from_headers(delivery.trace)
    # Looked up per delivery: a module-level proxy would stay bound to the first provider.
    with trace.get_tracer(__name__).start_as_current_span(
        "POST webhook",
        context=parent,
        kind=SpanKind.CLIENT,
        attributes={
            "http.request.method": "POST",
            "server.address": host_of(url),
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
            url,
            delivery.body,
            headers,
            now=now,
            allowed=ctx.settings.allowed_endpoints,
            deadline_s=ctx.settings.request_timeout_s,
            resolve=ctx.resolve,
        )
        if outcome.http_status is not None:
            span.set_attribute("http.response.status_code", outcome.http_status)
        if not outcome.delivered:
            span.set_status(Status(StatusCode.ERROR, outcome.reason or "failed"))
    duration = int((time.monotonic() - started) * 1000)
    final = delivery.is_last(outcome, number, ctx.retry_policy)
    return Attempt(delivery_id, subscription_id, number, now, duration, outcome, final=final)


async def record_attempt(attempt: Attempt, uow: UnitOfWork, ctx: NotificationsContext) -> None:
    """The attempt, the delivery's new state and its event, in ``uow``."""
    # Locked (PostgreSQL): a replica that took the delivery over once this worker's claim
    # ran out records its own attempt of the same number before or after, never beside.
    delivery = await deliveries.get(uow.session, attempt.delivery_id, for_update=True)
    if delivery is None or not delivery.awaits(attempt):
        return  # re-sent, finished, or recorded by another round or replica meanwhile
    await deliveries.add_attempt(uow.session, attempt)
    after = delivery.after(attempt, ctx.retry_policy)
    await deliveries.save(uow.session, after, released=True)
    if attempt.outcome.delivered:
        await uow.emit(events.notification_delivered(after, attempt, ctx.links))
        return
    if attempt.outcome.gone:
        subscription = await subscriptions.get(uow.session, delivery.subscription_id)
        if subscription is not None and (gone := subscription.gone(attempt.at)) != subscription:
            await subscriptions.save(uow.session, gone)
            await subscriptions_changed(uow, ctx)
            log.warning("subscription %s disabled: 410 Gone", subscription.subscription_id)
    await uow.emit(events.delivery_failed(after, attempt, ctx.links))
