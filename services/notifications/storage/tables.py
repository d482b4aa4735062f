"""Tables of the notifications database; ``migrations/versions/notifications_*`` create them.

- ``subscription``: an organisation's subscription and its sinks (webhook,
  inbox, stream; ``domain/sinks.py``). The
  secret is kept only because every attempt must be signed with it, and kept
  sealed with the service's secrets key; it is shown once (at creation or
  rotation) and never logged or published. A
  deleted subscription keeps its row (the delivery log refers to it) without
  its secrets.
- ``delivery``: the persistent queue, one row per (event, subscription); its
  id is the stable ``webhook-id``; the signed body is stored as sent.
  While a worker attempts it, the row holds that worker's claim
  (``claimed_by``, ``claimed_until``): no other replica starts it until the
  claim is released or has expired (``storage/deliveries.py``).
- ``delivery_attempt``: the attempt log (time, status or error, duration).
- ``inbox_entry``: one row per (organisation, event) routed to it.
- ``subscriptions_version``: one row, a number every change to a subscription
  raises, so that each replica's routing cache tells it is out of date
  (``storage/subscribers.py``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base


class SubscriptionRow(Base):
    __tablename__ = "subscription"

    subscription_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    organisation: Mapped[str] = mapped_column(String(32), index=True)
    #: The webhook; ``None`` exactly when ``sinks`` has no ``webhook``.
    url: Mapped[str | None] = mapped_column(String(2000))
    #: ``webhook``, ``inbox`` and / or ``stream``, each once, in that order. The
    #: server default is only for rows written without it (the migration's old rows).
    sinks: Mapped[list[str]] = mapped_column(JSON, server_default=text("'[\"inbox\"]'"))
    description: Mapped[str] = mapped_column(String(200))
    event_types: Mapped[list[str]] = mapped_column(JSON)
    channels: Mapped[list[str]] = mapped_column(JSON)
    #: The filters in their API form (camelCase keys).
    filters: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: ``active``, ``paused``, ``disabled`` (the receiver answered 410) or ``deleted``.
    status: Mapped[str] = mapped_column(String(16), index=True)
    status_reason: Mapped[str | None] = mapped_column(String(200))
    #: Sealed (a Fernet token, ``secret_box.py``), never the ``whsec_`` text itself.
    secret: Mapped[str | None] = mapped_column(String(400))
    previous_secret: Mapped[str | None] = mapped_column(String(400))
    previous_secret_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DeliveryRow(Base):
    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_source", "event_id"),
        Index("ix_delivery_due", "status", "next_attempt_at"),
    )

    delivery_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    subscription_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("subscription.subscription_id")
    )
    organisation: Mapped[str] = mapped_column(String(32), index=True)
    event_id: Mapped[str] = mapped_column(String(36))
    event_source: Mapped[str] = mapped_column(String(200))
    event_type: Mapped[str] = mapped_column(String(200))
    event_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    subject: Mapped[str | None] = mapped_column(String(200))
    #: The CloudEvent in structured JSON form, exactly as signed and sent.
    body: Mapped[str] = mapped_column(Text)
    #: W3C trace context of the handler that routed the event.
    trace: Mapped[dict[str, str]] = mapped_column(JSON)
    #: ``pending``, ``delivered`` or ``failed``.
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    #: Attempts made before the current round (a manual re-send starts a new round).
    round_start: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_http_status: Mapped[int | None] = mapped_column(Integer)
    last_reason: Mapped[str | None] = mapped_column(String(40))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: The worker attempting it now, and until when its claim holds unless renewed.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AttemptRow(Base):
    __tablename__ = "delivery_attempt"
    __table_args__ = (UniqueConstraint("delivery_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("delivery.delivery_id"))
    number: Mapped[int] = mapped_column(Integer)
    attempted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    duration_ms: Mapped[int] = mapped_column(Integer)
    #: ``delivered`` or ``failed``.
    outcome: Mapped[str] = mapped_column(String(16))
    http_status: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(40))
    #: A short description of the error (never the receiver's response body).
    error: Mapped[str | None] = mapped_column(String(300))


class InboxEntryRow(Base):
    __tablename__ = "inbox_entry"
    __table_args__ = (UniqueConstraint("organisation", "event_source", "event_id"),)

    entry_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    organisation: Mapped[str] = mapped_column(String(32), index=True)
    event_id: Mapped[str] = mapped_column(String(36))
    event_source: Mapped[str] = mapped_column(String(200))
    event_type: Mapped[str] = mapped_column(String(200))
    event_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    subject: Mapped[str | None] = mapped_column(String(200))
    #: The CloudEvent in structured JSON form.
    body: Mapped[str] = mapped_column(Text)
    subscription_ids: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SubscriptionsVersionRow(Base):
    __tablename__ = "subscriptions_version"

    #: Always ``1``: the table has one row.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    #: Raised by every transaction that changes a subscription.
    version: Mapped[int] = mapped_column(Integer)


def assign(row: Base, source: object, names: Iterable[str]) -> None:
    """Set each of ``names`` on ``row`` to the same-named attribute of the domain ``source``."""
    for name in names:
        setattr(row, name, getattr(source, name))
