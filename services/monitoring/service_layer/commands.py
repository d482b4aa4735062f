"""What the use cases are asked to do: one frozen dataclass per command or query.

Routes build them from requests, ``handlers.py`` from other services' events;
a command names the organisation acting (``reporter``) where rights depend on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from services.monitoring.domain.country_risk import CountryRisk
from services.monitoring.domain.flags import FlagState
from services.monitoring.domain.plans import Indicator
from services.monitoring.domain.programmes import Announcement
from services.monitoring.domain.results import ReportedValues
from shared.contracts.vocabulary import (
    EventRef,
    FlagCategory,
    ReviewDecision,
    RiskRating,
)

# -- evidence reported over HTTP ----------------------------------------------------------
# (an evaluation or an incident report is recorded as its domain report, ``domain/evidence.py``)


@dataclass(frozen=True)
class RecordResult:
    programme_id: str
    indicator_id: str
    period_start: date
    period_end: date
    values: ReportedValues
    reporter: str


@dataclass(frozen=True)
class CorrectResult:
    result_id: UUID
    values: ReportedValues
    reason: str
    reporter: str


# -- other services' events -----------------------------------------------------------------


@dataclass(frozen=True)
class TakePlan:
    """A results framework announced at ``revision``; ``approval`` when the programme's approval."""

    news: Announcement
    revision: int
    indicators: tuple[Indicator, ...]
    approval: bool


@dataclass(frozen=True)
class TakeReviewDecision:
    news: Announcement
    review_id: UUID
    flag_ids: tuple[UUID, ...]
    decision: ReviewDecision


@dataclass(frozen=True)
class TakeRiskAssessment:
    """A country's assessment; ``previous`` the residual rating it replaces, as countries says."""

    risk: CountryRisk
    previous: RiskRating | None
    assessment_url: str
    event: EventRef


# -- reads --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """Which part of a list: skip ``offset`` items, answer at most ``limit``."""

    offset: int
    limit: int


@dataclass(frozen=True)
class ResultQuery:
    programme_id: str | None
    indicator_id: str | None
    window: Window


@dataclass(frozen=True)
class EvidenceQuery:
    programme_id: str | None
    window: Window


@dataclass(frozen=True)
class FlagQuery:
    programme_id: str | None
    state: FlagState | None
    category: FlagCategory | None
    window: Window
