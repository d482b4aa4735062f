"""Routing a platform event: to the matching subscriptions, by each one's sinks.

In the consumer's transaction (the same one that records the event in the
service's inbox of handled events), for every subscription whose selection
matches (``domain/routing.py``), by its sinks (``domain/sinks.py``):

- one delivery per matching *active* subscription with the webhook sink
  (paused ones get none: pausing stops pushes; the inbox still gets the event);
- one inbox entry per organisation with at least one matching subscription
  with the inbox sink (active, paused, or disabled after a 410: the inbox is
  the fallback);
- the event forwarded, through the outbox, to the organisation's stream
  (``taskforce.org.<code>.v1``) once per matching *active* subscription with
  the stream sink: the same CloudEvent as on the domain topic, keyed by its
  subject, plus a ``taskforce-subscription-id`` header naming the subscription.

A redelivered event is skipped by the consumer's inbox; were it routed again,
deliveries and inbox entries are unique per event and subscription /
organisation (it adds nothing), and a second stream row for the same
subscription fails the transaction (``Outbox.forward``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from services.notifications.context import NotificationsContext
from services.notifications.domain.deliveries import Delivery
from services.notifications.domain.inbox import InboxEntry
from services.notifications.domain.routing import route
from services.notifications.domain.sinks import SUBSCRIPTION_HEADER, structured_body
from services.notifications.domain.subscriptions import Subscriber
from services.notifications.service_layer.changes import deliveries_due
from services.notifications.storage import deliveries, inbox
from shared import telemetry
from shared.events.catalogue import stream_topic_of
from shared.events.envelope import CloudEvent
from shared.unit_of_work import UnitOfWork


async def route_event(event: CloudEvent, uow: UnitOfWork, ctx: NotificationsContext) -> int:
    """Queue deliveries and inbox entries for ``event``; returns the deliveries queued."""
    subscribers = await ctx.subscribers.subscribers(uow.session)
    by_id = {subscriber.subscription_id: subscriber for subscriber in subscribers}
    chosen = route([subscriber.route for subscriber in subscribers], event.type, event.data)
    if not chosen:
        return 0
    matched = [by_id[match.subscription_id] for match in chosen]
    now = ctx.now()
    body = structured_body(event)
    queued = await _queue_deliveries(uow, event, matched, body, now)
    await _add_inbox_entries(uow, event, matched, body, now)
    _forward_to_streams(uow, event, matched)
    if queued:
        deliveries_due(uow, ctx)
    return queued


async def _queue_deliveries(
    uow: UnitOfWork, event: CloudEvent, matched: list[Subscriber], body: str, now: datetime
) -> int:
    """One delivery per matching active webhook subscription that has none for the event yet."""
    webhooks = [subscriber for subscriber in matched if subscriber.gets_webhooks]
    if not webhooks:
        return 0
    queued = await deliveries.delivered_to(
        uow.session, [s.subscription_id for s in webhooks], event.source, event.id
    )
    trace = telemetry.current_trace_headers()
    added = 0
    for subscriber in webhooks:
        if subscriber.subscription_id in queued:
            continue
        delivery = Delivery.queued(subscriber, event, body=body, trace=trace, now=now)
        await deliveries.add(uow.session, delivery)
        added += 1
    return added


async def _add_inbox_entries(
    uow: UnitOfWork, event: CloudEvent, matched: list[Subscriber], body: str, now: datetime
) -> None:
    """One inbox entry per organisation with a matching inbox subscription, unless it has one."""
    by_organisation: dict[str, list[Subscriber]] = defaultdict(list)
    for subscriber in matched:
        if subscriber.gets_inbox:
            by_organisation[subscriber.organisation].append(subscriber)
    if not by_organisation:
        return
    present = await inbox.holding(uow.session, list(by_organisation), event.source, event.id)
    for organisation, selecting in by_organisation.items():
        if organisation in present:
            continue
        ids = tuple(s.subscription_id for s in selecting)
        entry = InboxEntry.of_event(organisation, event, body=body, subscription_ids=ids, now=now)
        await inbox.add(uow.session, entry)


def _forward_to_streams(uow: UnitOfWork, event: CloudEvent, matched: list[Subscriber]) -> None:
    """The event on its organisation's stream, once per matching active stream subscription.

    One record per subscription, not per organisation: a consumer of the stream
    tells by the header which of its subscriptions selected the record.
    """
    for subscriber in matched:
        if not subscriber.gets_stream:
            continue
        subscription_id = str(subscriber.subscription_id)
        uow.forward(
            event,
            stream_topic_of(subscriber.organisation),
            copy=subscription_id,
            extra_headers={SUBSCRIPTION_HEADER: subscription_id},
        )
