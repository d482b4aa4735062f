"""What the notifications service does with every event of the domain topics.

One handler per catalogued type of ``countries``, ``programmes`` and
``monitoring`` routes the event to the matching subscriptions (see
``domain/routing.py``) and, in the consumer's transaction (the same one that
records the event in the service's inbox of handled events):

- queues one delivery per matching *active* webhook subscription (paused ones
  get none: pausing stops deliveries; the inbox still gets the event);
- writes one inbox entry per organisation with at least one matching
  subscription (active, paused, or disabled after a 410: the inbox is the
  fallback; with or without a webhook).

A redelivered event finds both already there (unique per event and
subscription / organisation) and adds nothing.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict

import shared.contracts  # noqa: F401  (registers every event type)
from services.notifications.context import NotificationsContext
from services.notifications.domain.routing import CHANNELS, route
from services.notifications.storage import store
from services.notifications.storage.tables import DeliveryRow, InboxEntryRow
from shared import telemetry
from shared.consumer import EventConsumer
from shared.events.catalogue import types_of
from shared.events.envelope import CloudEvent
from shared.unit_of_work import UnitOfWork


def structured_body(event: CloudEvent) -> str:
    """The webhook body: the CloudEvent in structured JSON form, compact."""
    return json.dumps(event.to_structured(), separators=(",", ":"), ensure_ascii=False)


async def route_event(uow: UnitOfWork, ctx: NotificationsContext, event: CloudEvent) -> int:
    """Queue deliveries and inbox entries for ``event``; returns the deliveries queued."""
    session = uow.session
    rows = {row.subscription_id: row for row in await store.routable(session)}
    chosen = route([store.route_of(row) for row in rows.values()], event.type, event.data)
    if not chosen:
        return 0
    now = ctx.now()
    body = structured_body(event)
    trace = telemetry.current_trace_headers()
    queued = 0
    by_organisation: dict[str, list[str]] = defaultdict(list)
    for match in chosen:
        row = rows[match.subscription_id]
        by_organisation[row.organisation].append(str(row.subscription_id))
        if row.status != store.ACTIVE or row.url is None:
            continue
        if await store.has_delivery(session, row.subscription_id, event.source, event.id):
            continue
        session.add(
            DeliveryRow(
                delivery_id=uuid.uuid4(),
                subscription_id=row.subscription_id,
                organisation=row.organisation,
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
        queued += 1
    for organisation, subscription_ids in by_organisation.items():
        if await store.has_inbox_entry(session, organisation, event.source, event.id):
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
    if queued:
        ctx.wake_after_commit(session)
    return queued


def register_handlers(consumer: EventConsumer, ctx: NotificationsContext) -> None:
    """Subscribe to every catalogued event type of the domain topics."""

    async def on_event(uow: UnitOfWork, event: CloudEvent, data: object) -> None:
        await route_event(uow, ctx, event)

    for channel in CHANNELS:
        for entry in types_of(channel):
            consumer.on(entry.model)(on_event)
