"""Request and response bodies of ``/inbox``: an entry, and marking it read or unread."""

from __future__ import annotations

import json
import uuid
from typing import Any

from pydantic import Field

from services.notifications.domain.inbox import InboxEntry
from shared.http import UtcDateTime
from shared.http.models import ApiModel, InputModel
from shared.http.shaping import built_from


class InboxEntryOut(ApiModel):
    entry_id: uuid.UUID
    event_type: str
    event_id: str
    subject: str | None = None
    event_time: UtcDateTime
    received_at: UtcDateTime
    read: bool
    read_at: UtcDateTime | None = None
    subscription_ids: list[uuid.UUID]
    event: dict[str, Any] = Field(description="The CloudEvent in structured JSON form.")

    @classmethod
    def of(cls, entry: InboxEntry) -> InboxEntryOut:
        return built_from(
            cls,
            entry,
            received_at=entry.created_at,
            read=entry.read_at is not None,
            event=json.loads(entry.body),
        )


class InboxEntryPatch(InputModel):
    read: bool = Field(description="True marks the entry read, false unread.")
