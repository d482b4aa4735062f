"""The outbox's tables: the queued records, the per-aggregate sequences, the relay's lease.

Apart from ``shared.outbox`` so that the relay (``shared.outbox_relay``) and the
lease (``shared.outbox_lease``) can map the same rows without importing the
module that re-exports them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Float, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base


class OutboxMessage(Base):
    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    event_type: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(200))
    key: Mapped[str | None] = mapped_column(String(200))
    headers: Mapped[list[list[str]]] = mapped_column(JSON)
    value: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)

    __table_args__ = (Index("ix_outbox_message_unsent", "sent_at", "id"),)

    def header_value(self, name: str) -> str | None:
        """The value of header ``name`` of the record this row becomes, if it has one."""
        return next((value for key, value in self.headers if key == name), None)


class OutboxSequence(Base):
    """Last ``sequence`` handed out per aggregate, so consumers can order and spot gaps."""

    __tablename__ = "outbox_sequence"

    aggregate: Mapped[str] = mapped_column(String(300), primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class OutboxLease(Base):
    """Who publishes a service's outbox, until when, and the batch it may have committed.

    One row per service outbox. ``expires_at`` is in seconds since the Unix
    epoch on the database's clock, so replicas on different machines compare
    against one clock. ``epoch`` grows by one at each change of holder: every
    write of the holder is conditional on it. ``in_doubt`` holds the ids of the
    batch whose Kafka transaction the holder was about to commit, until the rows
    are marked sent (see ``shared.outbox_relay``).
    """

    __tablename__ = "outbox_lease"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(200))
    expires_at: Mapped[float] = mapped_column(Float)
    epoch: Mapped[int] = mapped_column(Integer)
    in_doubt: Mapped[list[int] | None] = mapped_column(JSON, default=None)
