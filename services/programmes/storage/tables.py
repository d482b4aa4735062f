"""Tables of the programmes database; ``migrations/versions/programmes_0001_*`` creates them.

Money is stored as integer cents, percentages as integer hundredths of a percent
(basis points), indicator values as decimal text: none of them ever passes
through a float. Child rows keep the order the caller gave in ``position``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.db import Base

_PROGRAMME_FK = "registered_programme.programme_id"


class ProgrammeRow(Base):
    """A programme in the registry (the table name leaves ``programme`` free for tools)."""

    __tablename__ = "registered_programme"

    programme_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    iati_identifier: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    reporting_org_ref: Mapped[str] = mapped_column(String(100))
    reporting_org_type: Mapped[str] = mapped_column(String(10))
    reporting_org_name: Mapped[str] = mapped_column(String(200))
    owning_organisation: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[int] = mapped_column(Integer, index=True)
    planned_start: Mapped[date] = mapped_column(Date)
    planned_end: Mapped[date] = mapped_column(Date)
    actual_start: Mapped[date | None] = mapped_column(Date)
    actual_end: Mapped[date | None] = mapped_column(Date)
    partnership_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    return_assistance: Mapped[str] = mapped_column(String(16))
    results_framework_revision: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    countries: Mapped[list[ProgrammeCountryRow]] = relationship(
        order_by="ProgrammeCountryRow.position", lazy="selectin", cascade="all, delete-orphan"
    )
    sectors: Mapped[list[ProgrammeSectorRow]] = relationship(
        order_by="ProgrammeSectorRow.position", lazy="selectin", cascade="all, delete-orphan"
    )
    themes: Mapped[list[ProgrammeThemeRow]] = relationship(
        order_by="ProgrammeThemeRow.position", lazy="selectin", cascade="all, delete-orphan"
    )
    organisations: Mapped[list[ParticipatingOrgRow]] = relationship(
        order_by="ParticipatingOrgRow.position", lazy="selectin", cascade="all, delete-orphan"
    )


class ProgrammeCounterRow(Base):
    """Last number handed out per registration year: ids read ``prg-2026-0007``."""

    __tablename__ = "programme_counter"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer)


class ProgrammeCountryRow(Base):
    __tablename__ = "programme_country"

    programme_id: Mapped[str] = mapped_column(ForeignKey(_PROGRAMME_FK), primary_key=True)
    country_code: Mapped[str] = mapped_column(String(3), primary_key=True, index=True)
    basis_points: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)


class ProgrammeSectorRow(Base):
    __tablename__ = "programme_sector"

    programme_id: Mapped[str] = mapped_column(ForeignKey(_PROGRAMME_FK), primary_key=True)
    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    basis_points: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)


class ProgrammeThemeRow(Base):
    __tablename__ = "programme_theme"

    programme_id: Mapped[str] = mapped_column(ForeignKey(_PROGRAMME_FK), primary_key=True)
    theme: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)


class ParticipatingOrgRow(Base):
    __tablename__ = "participating_org"

    programme_id: Mapped[str] = mapped_column(ForeignKey(_PROGRAMME_FK), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    role: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    ref: Mapped[str | None] = mapped_column(String(100))
    type: Mapped[str | None] = mapped_column(String(10))
    crs_channel_code: Mapped[str | None] = mapped_column(String(5))
    organisation: Mapped[str | None] = mapped_column(String(32))


class StatusTransitionRow(Base):
    __tablename__ = "status_transition"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    transition_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    programme_id: Mapped[str] = mapped_column(ForeignKey(_PROGRAMME_FK), index=True)
    from_status: Mapped[int] = mapped_column(Integer)
    to_status: Mapped[int] = mapped_column(Integer)
    effective_on: Mapped[date] = mapped_column(Date)
    changed_by: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(Text)
    review_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class BudgetRow(Base):
    __tablename__ = "budget"

    programme_id: Mapped[str] = mapped_column(ForeignKey(_PROGRAMME_FK), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    budget_line: Mapped[str] = mapped_column(String(8), primary_key=True)
    oda: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)


class TransactionRow(Base):
    __tablename__ = "money_transaction"

    transaction_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    programme_id: Mapped[str] = mapped_column(ForeignKey(_PROGRAMME_FK), index=True)
    type: Mapped[int] = mapped_column(Integer)
    transaction_date: Mapped[date] = mapped_column(Date)
    #: The year of ``transaction_date``, kept for the frame's sums per year.
    year: Mapped[int] = mapped_column(Integer)
    budget_line: Mapped[str] = mapped_column(String(8))
    oda: Mapped[bool] = mapped_column(Boolean)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str | None] = mapped_column(String(500))
    recorded_by: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    override_reason: Mapped[str | None] = mapped_column(Text)
    override_by: Mapped[str | None] = mapped_column(String(32))
    override_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_money_transaction_cell", "year", "budget_line", "oda", "type"),)


class FrameCellRow(Base):
    """A cell of the taskforce budget frame that commitments have been booked on.

    It holds no figures (the sums come from ``money_transaction``): its row is
    the lock a commitment takes on its cell, so that two commitments to the same
    cell are set against the frame one after the other (see
    ``services.programmes.storage.money.lock_frame_cell``).
    """

    __tablename__ = "budget_frame_cell"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    budget_line: Mapped[str] = mapped_column(String(8), primary_key=True)
    oda: Mapped[bool] = mapped_column(Boolean, primary_key=True)


class IndicatorRow(Base):
    __tablename__ = "indicator"

    programme_id: Mapped[str] = mapped_column(ForeignKey(_PROGRAMME_FK), primary_key=True)
    indicator_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    result_type: Mapped[int] = mapped_column(Integer)
    measure: Mapped[int] = mapped_column(Integer)
    ascending: Mapped[bool] = mapped_column(Boolean)
    baseline_year: Mapped[int | None] = mapped_column(Integer)
    baseline_value: Mapped[str | None] = mapped_column(String(40))

    targets: Mapped[list[IndicatorTargetRow]] = relationship(
        order_by="IndicatorTargetRow.position", lazy="selectin", cascade="all, delete-orphan"
    )


class IndicatorTargetRow(Base):
    __tablename__ = "indicator_target"

    programme_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    indicator_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    value: Mapped[str | None] = mapped_column(String(40))

    __table_args__ = (
        ForeignKeyConstraint(
            ["programme_id", "indicator_id"],
            ["indicator.programme_id", "indicator.indicator_id"],
            name="fk_indicator_target_indicator",
        ),
    )


_OPEN: Any = text("state = 'open'")


class ReviewRow(Base):
    __tablename__ = "review"

    review_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    programme_id: Mapped[str] = mapped_column(ForeignKey(_PROGRAMME_FK), index=True)
    state: Mapped[str] = mapped_column(String(16))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_date: Mapped[date] = mapped_column(Date)
    decision: Mapped[str | None] = mapped_column(String(16))
    rationale: Mapped[str | None] = mapped_column(Text)
    changes: Mapped[list[str] | None] = mapped_column(JSON)
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resulting_status: Mapped[int | None] = mapped_column(Integer)

    triggers: Mapped[list[ReviewTriggerRow]] = relationship(
        order_by="ReviewTriggerRow.seq", lazy="selectin"
    )

    __table_args__ = (
        # At most one open review per programme, even if two findings race.
        Index(
            "uq_review_open_per_programme",
            "programme_id",
            unique=True,
            sqlite_where=_OPEN,
            postgresql_where=_OPEN,
        ),
    )


class ReviewTriggerRow(Base):
    """A finding that opened or joined a review; ``(programme, source, event)`` is unique."""

    __tablename__ = "review_trigger"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    programme_id: Mapped[str] = mapped_column(ForeignKey(_PROGRAMME_FK))
    source: Mapped[str] = mapped_column(String(200))
    event_id: Mapped[str] = mapped_column(String(64))
    review_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("review.review_id"), index=True)
    event_type: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    critical: Mapped[bool] = mapped_column(Boolean)
    category: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(32))
    flag_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    country_code: Mapped[str | None] = mapped_column(String(3))

    __table_args__ = (
        Index("uq_review_trigger_event", "programme_id", "source", "event_id", unique=True),
    )


class CountryRow(Base):
    """Read model of ``taskforce.countries.v1``: what the programmes service needs of a country."""

    __tablename__ = "country"

    country_code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    profile_revision: Mapped[int | None] = mapped_column(Integer)
    designation: Mapped[str | None] = mapped_column(String(16))
    designation_decided_on: Mapped[date | None] = mapped_column(Date)
    residual_rating: Mapped[str | None] = mapped_column(String(16))
    assessment_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    assessed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def columns_of(table: type[Base], source: object) -> dict[str, Any]:
    """The columns of ``table`` that the domain object ``source`` has a same-named field for.

    A repository copies those by name and states only the columns it stores
    otherwise (an enum as its value, a nested value in columns of its own), so
    a field added to both is not forgotten in one of them.
    """
    names = table.__table__.columns.keys()
    return {name: getattr(source, name) for name in names if hasattr(source, name)}
