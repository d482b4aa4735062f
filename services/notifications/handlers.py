"""What the notifications service does with every event of the domain topics.

One handler per catalogued type of ``countries``, ``programmes`` and
``monitoring`` routes the event to the matching subscriptions (see
``domain/routing.py``) and, by each one's sinks (``domain/sinks.py``), in the
consumer's transaction (the same one that records the event in the service's
inbox of handled events):

- queues one delivery per matching *active* subscription with the webhook sink
  (paused ones get none: pausing stops pushes; the inbox still gets the event);
- writes one inbox entry per organisation with at least one matching
  subscription with the inbox sink (active, paused, or disabled after a 410:
  the inbox is the fallback);
- forwards the event, through the outbox, to the organisation's stream
  (``taskforce.org.<code>.v1``) once per matching *active* subscription with
  the stream sink: the same CloudEvent as on the domain topic, keyed by its
  subject, plus a ``taskforce-subscription-id`` header naming the subscription.

A redelivered event is skipped by the consumer's inbox; were it handled again,
deliveries and inbox entries are unique per event and subscription /
organisation (it adds nothing), and a second stream row for the same
subscription fails the transaction (``Outbox.forward``).
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

import shared.contracts  # noqa: F401  (registers every event type)
from services.notifications.context import NotificationsContext
from services.notifications.domain.routing import CHANNELS, route
from services.notifications.storage import store
from services.notifications.storage.subscribers import Subscriber
from services.notifications.storage.tables import DeliveryRow, InboxEntryRow
from shared import telemetry
from shared.consumer import EventConsumer
from shared.events.catalogue import stream_topic_of, types_of
from shared.events.envelope import CloudEvent
from shared.unit_of_work import UnitOfWork

#: Names the subscription a stream record was written for (not a CloudEvents attribute).
SUBSCRIPTION_HEADER = "taskforce-subscription-id"


def structured_body(event: CloudEvent) -> str:
    """The webhook body: the CloudEvent in structured JSON form, compact."""
    return json.dumps(event.to_structured(), separators=(",", ":"), ensure_ascii=False)


async def route_event(uow: UnitOfWork, ctx: NotificationsContext, event: CloudEvent) -> int:
    """Queue deliveries and inbox entries for ``event``; returns the deliveries queued."""
    subscribers = await ctx.subscribers.subscribers(uow.session)
    by_id = {subscriber.route.subscription_id: subscriber for subscriber in subscribers}
    chosen = route([subscriber.route for subscriber in subscribers], event.type, event.data)
    if not chosen:
        return 0
    matched = [by_id[match.subscription_id] for match in chosen]
    now = ctx.now()
    body = structured_body(event)
    queued = await _queue_deliveries(uow.session, event, matched, body, now)
    await _add_inbox_entries(uow.session, event, matched, body, now)
    _forward_to_streams(uow, event, matched)
    if queued:
        ctx.wake_after_commit(uow.session)
    return queued


async def _queue_deliveries(
    session: AsyncSession,
    event: CloudEvent,
    matched: list[Subscriber],
    body: str,
    now: datetime,
) -> int:
    """One delivery per matching active webhook subscription that has none for the event yet."""
    webhooks = [subscriber for subscriber in matched if subscriber.gets_webhooks]
    if not webhooks:
        return 0
    queued = await store.delivered_to(
        session, [s.route.subscription_id for s in webhooks], event.source, event.id
    )
    trace = telemetry.current_trace_headers()
    added = 0
    for subscriber in webhooks:
        if subscriber.route.subscription_id in queued:
            continue
        session.add(
            DeliveryRow(
                delivery_id=uuid.uuid4(),
                subscription_id=subscriber.route.subscription_id,
                organisation=subscriber.organisation,
                event_id=event.id,
                event_source=event.source,
                event_type=event.type,
                event_time=event.time,
                subject=event.subject,
                body=body,
                trace=trace,
                status=store.PENDING,
                attempts=0,
                round_start=0,
                next_attempt_at=now,
                created_at=now,
                updated_at=now,
            )
        )
        added += 1
    return added


async def _add_inbox_entries(
    session: AsyncSession,
    event: CloudEvent,
    matched: list[Subscriber],
    body: str,
    now: datetime,
) -> None:
    """One inbox entry per organisation with a matching inbox subscription, unless it has one."""
    by_organisation: dict[str, list[str]] = defaultdict(list)
    for subscriber in matched:
        if not subscriber.gets_inbox:
            continue
        by_organisation[subscriber.organisation].append(str(subscriber.route.subscription_id))
    if not by_organisation:
        return
    present = await store.inboxes_with(session, list(by_organisation), event.source, event.id)
    for organisation, subscription_ids in by_organisation.items():
        if organisation in present:
            continue
        session.add(
            InboxEntryRow(
                entry_id=uuid.uuid4(),
                organisation=organisation,
                event_id=event.id,
                event_source=event.source,
                event_type=event.type,
                event_time=event.time,
                subject=event.subject,
                body=body,
                subscription_ids=subscription_ids,
                created_at=now,
                read_at=None,
            )
        )


def _forward_to_streams(uow: UnitOfWork, event: CloudEvent, matched: list[Subscriber]) -> None:
    """The event on its organisation's stream, once per matching active stream subscription.

    One record per subscription, not per organisation: a consumer of the stream
    tells by the header which of its subscriptions selected the record.
    """
    streams = [subscriber for subscriber in matched if subscriber.gets_stream]
    if not streams:
        return
    for subscriber in streams:
        subscription_id = str(subscriber.route.subscription_id)
        uow.forward(
            event,
            stream_topic_of(subscriber.organisation),
            copy=subscription_id,
            extra_headers={SUBSCRIPTION_HEADER: subscription_id},
        )


def register_handlers(consumer: EventConsumer, ctx: NotificationsContext) -> None:
    """Subscribe to every catalogued event type of the domain topics."""

    async def on_event(uow: UnitOfWork, event: CloudEvent, data: object) -> None:
        await route_event(uow, ctx, event)

    for channel in CHANNELS:
        for entry in types_of(channel):
            consumer.on(entry.model)(on_event)
