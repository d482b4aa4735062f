"""v1 contracts of the notifications service (topic ``taskforce.notifications.v1``).

The delivery log as events: each delivery of a platform event to a
subscribing organisation ends in ``notification-delivered`` or, after each
failed attempt, ``delivery-failed``. Keyed by ``subscriptionId``, so one
subscription's deliveries and failures stay in order; the receiver's
response body is never copied, only a status and a reason code.
"""

from __future__ import annotations

from typing import ClassVar, Self
from uuid import UUID

from pydantic import AwareDatetime, Field, HttpUrl, model_validator

from shared.contracts.vocabulary import (
    DeliveryChannel,
    DeliveryFailureReason,
    EventRef,
    OrganisationCode,
    schema_examples,
)
from shared.events.catalogue import EventData, event_type

_SUBSCRIPTION_ID = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
_DELIVERY_ID = "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"
_BASE = "http://127.0.0.1:8004/v1"
_NOTIFIED = {
    "eventId": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
    "eventType": "nl.migratiesamenwerking.monitoring.programme-flagged",
    "source": "urn:nld:oin:00000000000000000000:systeem:monitoring",
}


class DeliveryEvent(EventData):
    """Common part of the delivery events: which subscription, delivery and event."""

    key_field: ClassVar[str] = "subscription_id"

    subscription_id: UUID = Field(
        description="The subscription; the Kafka key and CloudEvents subject."
    )
    delivery_id: UUID = Field(description="The delivery (one event to one subscription).")
    delivery_url: HttpUrl = Field(
        description="The delivery log entry at the notifications service."
    )
    organisation: OrganisationCode = Field(description="The subscribing organisation.")
    channel: DeliveryChannel = Field(description="How the notification is delivered.")
    notified_event: EventRef = Field(description="The platform event being delivered.")
    attempt: int = Field(ge=1, description="Attempt number, 1 for the first.")


@event_type("notifications", "notification-delivered")
class NotificationDelivered(DeliveryEvent):
    """A platform event reached a subscribing organisation (webhook accepted or inbox written)."""

    model_config = schema_examples(
        {
            "subscriptionId": _SUBSCRIPTION_ID,
            "deliveryId": _DELIVERY_ID,
            "deliveryUrl": f"{_BASE}/deliveries/{_DELIVERY_ID}",
            "organisation": "am",
            "channel": "webhook",
            "notifiedEvent": _NOTIFIED,
            "attempt": 1,
            "httpStatus": 204,
            "latencyMs": 87,
        }
    )

    http_status: int | None = Field(
        default=None, ge=200, le=299, description="The receiver's 2xx status, for webhooks."
    )
    latency_ms: int = Field(ge=0, description="Milliseconds from the event's time to delivery.")


@event_type("notifications", "delivery-failed")
class DeliveryFailed(DeliveryEvent):
    """A delivery attempt failed; either another attempt is scheduled or delivery gave up.

    With ``final`` true the delivery needs an administrator to re-send it.
    """

    model_config = schema_examples(
        {
            "subscriptionId": _SUBSCRIPTION_ID,
            "deliveryId": _DELIVERY_ID,
            "deliveryUrl": f"{_BASE}/deliveries/{_DELIVERY_ID}",
            "organisation": "am",
            "channel": "webhook",
            "notifiedEvent": _NOTIFIED,
            "attempt": 3,
            "reason": "http-server-error",
            "httpStatus": 503,
            "final": False,
            "nextAttemptAt": "2026-03-02T10:41:40Z",
        }
    )

    reason: DeliveryFailureReason = Field(description="Why the attempt failed.")
    http_status: int | None = Field(
        default=None, ge=100, le=599, description="The receiver's status, when it answered."
    )
    final: bool = Field(description="True when no further attempt will be made.")
    next_attempt_at: AwareDatetime | None = Field(
        default=None, description="When the next attempt is scheduled; absent when final."
    )

    @model_validator(mode="after")
    def _next_attempt_unless_final(self) -> Self:
        if self.final and self.next_attempt_at is not None:
            raise ValueError("a final failure has no next attempt")
        if not self.final and self.next_attempt_at is None:
            raise ValueError("a non-final failure needs nextAttemptAt")
        return self
