"""Response bodies of ``/deliveries``: a delivery and its attempt log."""

from __future__ import annotations

import uuid

from pydantic import Field

from services.notifications.domain.deliveries import AttemptRecord, Delivery
from shared.http import UtcDateTime
from shared.http.models import ApiModel
from shared.http.shaping import built_from


class DeliveryOut(ApiModel):
    delivery_id: uuid.UUID = Field(description="Also the stable `webhook-id` of every attempt.")
    subscription_id: uuid.UUID
    event_id: str
    event_type: str
    event_source: str
    subject: str | None = None
    status: str = Field(description="`pending`, `delivered` or `failed`.")
    attempts: int
    next_attempt_at: UtcDateTime | None = None
    last_http_status: int | None = None
    last_reason: str | None = None
    delivered_at: UtcDateTime | None = None
    created_at: UtcDateTime

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryOut:
        return built_from(cls, delivery)


class AttemptOut(ApiModel):
    number: int
    attempted_at: UtcDateTime
    duration_ms: int
    outcome: str = Field(description="`delivered` or `failed`.")
    http_status: int | None = None
    reason: str | None = None
    error: str | None = Field(default=None, description="Short error; never the response body.")

    @classmethod
    def of(cls, attempt: AttemptRecord) -> AttemptOut:
        return built_from(cls, attempt)


class AttemptList(ApiModel):
    items: list[AttemptOut]
