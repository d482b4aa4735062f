"""What the notifications service does with every event of the domain topics: it routes it.

Every catalogued type of ``countries``, ``programmes`` and ``monitoring`` has
the same entrypoint, :func:`on_domain_event`, which routes the event to the
matching subscriptions by their sinks (``service_layer/routing.py``) in the
consumer's transaction. The table lists every type, so an event type added
to the catalogue is subscribed to and routed without a change here.
"""

from __future__ import annotations

from typing import Final

import shared.contracts  # noqa: F401  (registers every event type)
from services.notifications.context import NotificationsContext
from services.notifications.domain.routing import CHANNELS
from services.notifications.service_layer.routing import route_event
from shared.events.catalogue import EventData, types_of
from shared.events.envelope import CloudEvent
from shared.handlers import On
from shared.unit_of_work import UnitOfWork


async def on_domain_event(
    data: EventData, event: CloudEvent, uow: UnitOfWork, ctx: NotificationsContext
) -> None:
    """Any event of the domain topics: routed as it came (its ``data`` read by name)."""
    await route_event(event, uow, ctx)


HANDLERS: Final = tuple(
    On(entry.model, on_domain_event) for channel in CHANNELS for entry in types_of(channel)
)
