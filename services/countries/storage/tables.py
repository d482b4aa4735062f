"""The countries service's tables (SQLAlchemy 2, portable to SQLite and PostgreSQL).

Structured content (a profile's figures, a decision's scores, an assessment's
items) is stored as JSON in the wire form of its value objects: it is read
and written whole, and filtered in the service rather than in SQL, so it
needs no columns of its own. What lists filter and order on has a column.
Countries without recorded data have no row: their profile is implicit.
The schema is created by ``migrations/versions/countries_0001_initial.py``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base

CODE = String(3)
ORG = String(32)
ID = String(36)
ENUM = String(32)


def wire(value: BaseModel) -> Any:
    """A value object as stored in a JSON column: its wire form (camelCase JSON)."""
    return value.model_dump(mode="json", by_alias=True)


class ProfileRow(Base):
    __tablename__ = "country_profile"

    country_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    revision: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(ORG)


class ProfileChangeRow(Base):
    """One revision of a profile: who changed what, when (the history)."""

    __tablename__ = "country_profile_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    country_code: Mapped[str] = mapped_column(CODE)
    revision: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    changed_by: Mapped[str] = mapped_column(ORG)
    #: ``[{"field": ..., "before": ..., "after": ...}]``
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)

    __table_args__ = (UniqueConstraint("country_code", "revision"),)


class CountryLockRow(Base):
    """A country whose designation or risk has been decided: the row such decisions lock.

    It holds nothing but the code. Countries have no row of their own (their
    profile is implicit), yet a designation decision and a risk assessment each
    read the country's current one before making theirs the current one; the
    lock on this row (``services.countries.storage.locks.lock_country``) makes
    two concurrent decisions on one country happen one after the other.
    """

    __tablename__ = "country_lock"

    country_code: Mapped[str] = mapped_column(String(3), primary_key=True)


class DecisionRow(Base):
    __tablename__ = "designation_decision"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    country_code: Mapped[str] = mapped_column(CODE)
    #: Order of the country's decisions, from 1; the unique key stops two concurrent "latest".
    number: Mapped[int] = mapped_column(Integer)
    designation: Mapped[str] = mapped_column(ENUM)
    previous_designation: Mapped[str] = mapped_column(ENUM)
    decided_on: Mapped[date] = mapped_column(Date)
    decided_by: Mapped[str] = mapped_column(ORG)
    scores: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    weights: Mapped[dict[str, Any]] = mapped_column(JSON)
    weighted_score: Mapped[float] = mapped_column(Float)
    review_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(ORG)
    current: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (
        UniqueConstraint("country_code", "number"),
        Index("ix_designation_decision_current", "current", "country_code"),
    )


class PartnershipRow(Base):
    __tablename__ = "partnership"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    country_code: Mapped[str] = mapped_column(CODE, index=True)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    kind: Mapped[str] = mapped_column(ENUM)
    lead_organisation: Mapped[str] = mapped_column(ORG)
    status: Mapped[str] = mapped_column(ENUM)
    status_since: Mapped[date] = mapped_column(Date)
    revision: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(ORG)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(ORG)


class StatusChangeRow(Base):
    __tablename__ = "partnership_status_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    partnership_id: Mapped[str] = mapped_column(ForeignKey("partnership.id"), index=True)
    status: Mapped[str] = mapped_column(ENUM)
    previous_status: Mapped[str | None] = mapped_column(ENUM, nullable=True)
    effective_from: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(ORG)


class AssessmentRow(Base):
    __tablename__ = "risk_assessment"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    country_code: Mapped[str] = mapped_column(CODE, index=True)
    partnership_id: Mapped[str | None] = mapped_column(
        ForeignKey("partnership.id"), nullable=True, index=True
    )
    phase: Mapped[str] = mapped_column(ENUM)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    inherent_rating: Mapped[str] = mapped_column(ENUM)
    residual_rating: Mapped[str] = mapped_column(ENUM)
    previous_residual_rating: Mapped[str | None] = mapped_column(ENUM, nullable=True)
    outcome: Mapped[str] = mapped_column(ENUM)
    assessed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    assessed_by: Mapped[str] = mapped_column(ORG)
    next_review_date: Mapped[date] = mapped_column(Date)
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(ORG)
    current: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (Index("ix_risk_assessment_current", "current", "next_review_date"),)
