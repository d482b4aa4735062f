"""A delivery: one routed event on its way to one subscription's webhook, and its attempts.

The delivery is the persistent queue's entry, one per (event, subscription);
its id is the stable ``webhook-id`` of every attempt. What an attempt came to
(:class:`Outcome`) decides the next state (:meth:`Delivery.after`):

- 2xx: delivered;
- 410 Gone: failed for good (and the subscription is disabled);
- anything else (other statuses, 3xx included, timeouts, connection errors):
  the next attempt is scheduled by the retry policy, honouring
  ``Retry-After``, until the round's attempts are used up; then failed.

A manual re-send (:meth:`Delivery.resent`) starts a new round: the attempts
made so far no longer count against the policy's limit.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from services.notifications.domain.schedule import RetryPolicy, parse_retry_after
from services.notifications.domain.subscriptions import Subscriber, Subscription
from shared.contracts.vocabulary import DeliveryFailureReason
from shared.events.envelope import CloudEvent


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True)
class Outcome:
    """What one HTTP attempt came to; ``error`` is what the subscriber may read."""

    delivered: bool
    http_status: int | None = None
    reason: DeliveryFailureReason | None = None
    error: str | None = None
    retry_after_s: float | None = None
    gone: bool = False

    @property
    def status(self) -> DeliveryStatus:
        """How the attempt is logged: delivered or failed."""
        return DeliveryStatus.DELIVERED if self.delivered else DeliveryStatus.FAILED


#: An attempt not made: the subscription was disabled or deleted while the delivery waited.
INACTIVE = Outcome(
    False, None, DeliveryFailureReason.SUBSCRIPTION_INACTIVE, "subscription inactive"
)


def classify(status: int, retry_after: str | None, now: datetime) -> Outcome:
    """The outcome of an answer with HTTP ``status`` (and ``Retry-After``, if it sent one)."""
    if 200 <= status < 300:
        return Outcome(True, status)
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
    return Outcome(False, status, reason, error, parse_retry_after(retry_after, now))


@dataclass(frozen=True)
class Attempt:
    """One attempt made, to be recorded: ``final`` when no further attempt will follow."""

    delivery_id: uuid.UUID
    subscription_id: uuid.UUID
    number: int
    at: datetime
    duration_ms: int
    outcome: Outcome
    final: bool


@dataclass(frozen=True)
class AttemptRecord:
    """An attempt as the log keeps it: time, status or error, duration."""

    number: int
    attempted_at: datetime
    duration_ms: int
    outcome: DeliveryStatus
    http_status: int | None
    reason: str | None
    error: str | None


@dataclass(frozen=True)
class Delivery:
    delivery_id: uuid.UUID
    subscription_id: uuid.UUID
    organisation: str
    event_id: str
    event_source: str
    event_type: str
    event_time: datetime
    subject: str | None
    #: The CloudEvent in structured JSON form, exactly as signed and sent.
    body: str
    #: W3C trace context of the handler that routed the event.
    trace: Mapping[str, str]
    status: DeliveryStatus
    attempts: int
    #: Attempts made before the current round (a manual re-send starts a new round).
    round_start: int
    next_attempt_at: datetime | None
    created_at: datetime
    updated_at: datetime
    last_http_status: int | None = None
    last_reason: str | None = None
    delivered_at: datetime | None = None

    @classmethod
    def queued(
        cls,
        subscriber: Subscriber,
        event: CloudEvent,
        *,
        body: str,
        trace: Mapping[str, str],
        now: datetime,
    ) -> Delivery:
        """A new delivery of ``event`` to ``subscriber``'s webhook, due at once."""
        return cls(
            delivery_id=uuid.uuid4(),
            subscription_id=subscriber.subscription_id,
            organisation=subscriber.organisation,
            event_id=event.id,
            event_source=event.source,
            event_type=event.type,
            event_time=event.time,
            subject=event.subject,
            body=body,
            trace=trace,
            status=DeliveryStatus.PENDING,
            attempts=0,
            round_start=0,
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )

    @property
    def next_number(self) -> int:
        return self.attempts + 1

    def is_last(self, outcome: Outcome, number: int, policy: RetryPolicy) -> bool:
        """Whether attempt ``number`` with ``outcome`` ends the delivery: delivered, gone, or
        the round's last (a delivered one is not *failed* for good: it is not final)."""
        if outcome.delivered:
            return False
        return outcome.gone or policy.gives_up_after(number - self.round_start)

    def awaits(self, attempt: Attempt) -> bool:
        """Whether ``attempt`` is still to be recorded: it was not re-sent, finished or
        recorded by another round meanwhile."""
        return self.status is DeliveryStatus.PENDING and self.attempts < attempt.number

    def after(
        self,
        attempt: Attempt,
        policy: RetryPolicy,
        rand: Callable[[float, float], float] = random.uniform,
    ) -> Delivery:
        """The delivery once ``attempt`` is recorded: delivered, failed, or due again later."""
        outcome, now = attempt.outcome, attempt.at
        recorded = replace(
            self,
            attempts=attempt.number,
            last_http_status=outcome.http_status,
            last_reason=outcome.reason.value if outcome.reason else None,
            updated_at=now,
        )
        if outcome.delivered:
            return replace(
                recorded, status=DeliveryStatus.DELIVERED, delivered_at=now, next_attempt_at=None
            )
        if attempt.final:
            return replace(recorded, status=DeliveryStatus.FAILED, next_attempt_at=None)
        wait = policy.delay(attempt.number - self.round_start, outcome.retry_after_s, rand)
        return replace(recorded, next_attempt_at=now + timedelta(seconds=wait))

    def resent(self, now: datetime) -> Delivery:
        """Due again now, with a fresh round of retries (the same ``webhook-id``)."""
        return replace(
            self,
            status=DeliveryStatus.PENDING,
            round_start=self.attempts,
            next_attempt_at=now,
            updated_at=now,
        )

    def latency_ms(self, at: datetime) -> int:
        """From the event's time to ``at`` (never negative: clocks differ)."""
        return max(0, int((at - self.event_time).total_seconds() * 1000))


@dataclass(frozen=True)
class DueDelivery:
    """A delivery whose time has come, read with its subscription (an attempt needs both)."""

    delivery: Delivery
    subscription: Subscription
