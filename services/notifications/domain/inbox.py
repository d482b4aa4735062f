"""An inbox entry: one routed event in an organisation's inbox, read or not.

One entry per (organisation, event), whichever of its subscriptions selected
it (they are all named): the inbox is the organisation's fallback and fills
whatever the subscriptions' status (``domain/sinks.py``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from shared.events.envelope import CloudEvent


@dataclass(frozen=True)
class InboxEntry:
    entry_id: uuid.UUID
    organisation: str
    event_id: str
    event_source: str
    event_type: str
    event_time: datetime
    subject: str | None
    #: The CloudEvent in structured JSON form.
    body: str
    subscription_ids: tuple[uuid.UUID, ...]
    created_at: datetime
    read_at: datetime | None = None

    @classmethod
    def of_event(
        cls,
        organisation: str,
        event: CloudEvent,
        *,
        body: str,
        subscription_ids: tuple[uuid.UUID, ...],
        now: datetime,
    ) -> InboxEntry:
        return cls(
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
        )

    def marked(self, read: bool, now: datetime) -> InboxEntry:
        """Marked read (when it was first read stays) or unread."""
        if not read:
            return replace(self, read_at=None)
        return self if self.read_at is not None else replace(self, read_at=now)
