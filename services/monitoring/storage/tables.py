"""Tables of the monitoring database; ``migrations/versions/monitoring_0001_*`` creates them.

Names are prefixed or specific (``monitored_programme``, ``monitoring_flag``)
because every service maps its tables on the one shared ``Base``. Indicator
values are decimal text, never floats. Lists that are only ever read whole
(routing fields, targets, ratings, evidence) are JSON. Closed vocabularies,
exact values and instants read back as the domain's types
(:mod:`services.monitoring.storage.columns`).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.monitoring.domain.flags import FlagState
from services.monitoring.storage.columns import Exact, Instant, Vocabulary
from shared.contracts.vocabulary import (
    EvaluationKind,
    EvaluationRating,
    FlagCategory,
    FlagResolution,
    IntendedDirection,
    ReviewDecision,
    RiskRating,
    Severity,
    SideEffectCategory,
)
from shared.db import Base


class MonitoredProgrammeRow(Base):
    """What monitoring knows of a programme, from the programmes topic."""

    __tablename__ = "monitored_programme"

    programme_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owning_organisation: Mapped[str] = mapped_column(String(32))
    partner_organisations: Mapped[list[str]] = mapped_column(JSON)
    country_codes: Mapped[list[str]] = mapped_column(JSON)
    themes: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[int | None] = mapped_column(Integer)
    plan_revision: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(Instant())


class PlanIndicatorRow(Base):
    __tablename__ = "plan_indicator"

    programme_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    indicator_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    measure: Mapped[int] = mapped_column(Integer)
    direction: Mapped[IntendedDirection] = mapped_column(Vocabulary(IntendedDirection, 16))
    baseline: Mapped[Decimal | None] = mapped_column(Exact(40))
    targets: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class IndicatorResultRow(Base):
    """The current version of a result; every version is in ``indicator_result_revision``."""

    __tablename__ = "indicator_result"
    __table_args__ = (
        UniqueConstraint("programme_id", "indicator_id", "period_start", "period_end"),
    )

    result_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    programme_id: Mapped[str] = mapped_column(String(64), index=True)
    indicator_id: Mapped[str] = mapped_column(String(64))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    revision: Mapped[int] = mapped_column(Integer)
    value: Mapped[Decimal | None] = mapped_column(Exact(40))
    qualitative_value: Mapped[str | None] = mapped_column(String(500))
    measured_on: Mapped[date] = mapped_column(Date)
    comment: Mapped[str | None] = mapped_column(String(1000))
    source: Mapped[str] = mapped_column(String(200))
    reported_by: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(Instant())


class IndicatorResultRevisionRow(Base):
    __tablename__ = "indicator_result_revision"

    result_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value: Mapped[Decimal | None] = mapped_column(Exact(40))
    qualitative_value: Mapped[str | None] = mapped_column(String(500))
    measured_on: Mapped[date] = mapped_column(Date)
    comment: Mapped[str | None] = mapped_column(String(1000))
    source: Mapped[str] = mapped_column(String(200))
    reported_by: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(Instant())
    reason: Mapped[str | None] = mapped_column(String(500))


class EvaluationRow(Base):
    __tablename__ = "programme_evaluation"

    evaluation_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    programme_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[EvaluationKind] = mapped_column(Vocabulary(EvaluationKind, 16))
    independent: Mapped[bool] = mapped_column(Boolean)
    completed_on: Mapped[date] = mapped_column(Date)
    overall_rating: Mapped[EvaluationRating] = mapped_column(Vocabulary(EvaluationRating, 32))
    ratings: Mapped[dict[str, str]] = mapped_column(JSON)
    summary: Mapped[str] = mapped_column(Text)
    #: As long as the API's URLs (``shared.http.models.MAX_URL_LENGTH``).
    document_url: Mapped[str] = mapped_column(String(2083))
    recorded_by: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(Instant())


class IncidentRow(Base):
    __tablename__ = "incident_report"

    incident_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    programme_id: Mapped[str] = mapped_column(String(64), index=True)
    category: Mapped[SideEffectCategory] = mapped_column(Vocabulary(SideEffectCategory, 32))
    severity: Mapped[Severity] = mapped_column(Vocabulary(Severity, 16))
    country_code: Mapped[str] = mapped_column(String(3))
    occurred_on: Mapped[date] = mapped_column(Date)
    verified: Mapped[bool] = mapped_column(Boolean)
    reported_by: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(String(500))
    recorded_at: Mapped[datetime] = mapped_column(Instant())


class FlagRow(Base):
    """A flag; its id is derived from rule, programme and evidence, so it is raised once."""

    __tablename__ = "monitoring_flag"

    flag_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    programme_id: Mapped[str] = mapped_column(String(64), index=True)
    rule_id: Mapped[str] = mapped_column(String(64))
    rule_version: Mapped[int] = mapped_column(Integer)
    category: Mapped[FlagCategory] = mapped_column(Vocabulary(FlagCategory, 32))
    severity: Mapped[Severity] = mapped_column(Vocabulary(Severity, 16))
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    recommends_hold: Mapped[bool] = mapped_column(Boolean)
    state: Mapped[FlagState] = mapped_column(Vocabulary(FlagState, 16), index=True)
    raised_at: Mapped[datetime] = mapped_column(Instant())
    resolved_at: Mapped[datetime | None] = mapped_column(Instant())
    resolution: Mapped[FlagResolution | None] = mapped_column(Vocabulary(FlagResolution, 32))
    review_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    decision: Mapped[ReviewDecision | None] = mapped_column(Vocabulary(ReviewDecision, 16))


class CountryRiskRow(Base):
    """A country's latest residual human-rights risk, from the countries topic."""

    __tablename__ = "monitored_country_risk"

    country_code: Mapped[str] = mapped_column(String(3), primary_key=True)
    residual_rating: Mapped[RiskRating] = mapped_column(Vocabulary(RiskRating, 16))
    assessment_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    assessed_at: Mapped[datetime] = mapped_column(Instant())
