"""The events the service emits, built from a delivery and the attempt just recorded.

Each attempt ends in one event on ``taskforce.notifications.v1``:
``notification-delivered`` when the receiver accepted it, else
``delivery-failed`` (``final`` when no further attempt will be made, else when
the next one is due). Both link to the delivery's log entry.
"""

from __future__ import annotations

import uuid
from typing import Any

from services.notifications.domain.deliveries import Attempt, Delivery
from services.notifications.links import Links
from shared.contracts.notifications import DeliveryFailed, NotificationDelivered
from shared.contracts.vocabulary import DeliveryChannel, DeliveryFailureReason, EventRef


def _about(delivery: Delivery, attempt: Attempt, links: Links) -> dict[str, Any]:
    """What both events say: the subscription, the delivery, the event delivered, the attempt."""
    return {
        "subscription_id": delivery.subscription_id,
        "delivery_id": delivery.delivery_id,
        "delivery_url": links.delivery(delivery.delivery_id),
        "organisation": delivery.organisation,
        "channel": DeliveryChannel.WEBHOOK,
        "notified_event": EventRef(
            event_id=uuid.UUID(delivery.event_id),
            event_type=delivery.event_type,
            source=delivery.event_source,
        ),
        "attempt": attempt.number,
    }


def notification_delivered(
    delivery: Delivery, attempt: Attempt, links: Links
) -> NotificationDelivered:
    return NotificationDelivered(
        **_about(delivery, attempt, links),
        http_status=attempt.outcome.http_status,
        latency_ms=delivery.latency_ms(attempt.at),
    )


def delivery_failed(delivery: Delivery, attempt: Attempt, links: Links) -> DeliveryFailed:
    """``delivery`` as it is after ``attempt``: its next attempt, if there is one."""
    outcome = attempt.outcome
    return DeliveryFailed(
        **_about(delivery, attempt, links),
        reason=outcome.reason or DeliveryFailureReason.CONNECTION_ERROR,
        http_status=outcome.http_status,
        final=attempt.final,
        next_attempt_at=delivery.next_attempt_at,
    )
