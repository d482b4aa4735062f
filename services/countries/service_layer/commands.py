"""What the routes ask the use cases to do: commands (changes) and queries (reads).

Each is a frozen dataclass of already-parsed values: the routes turn requests
into these, the use cases never see HTTP. ``by`` is always the calling
organisation, recorded as who changed, recorded or assessed something.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from services.countries.domain.designations import CriterionScore
from services.countries.domain.partnerships import PartnershipContent
from services.countries.domain.risk import RiskItem
from shared.contracts.vocabulary import (
    AssessmentOutcome,
    AssessmentPhase,
    CountryRole,
    Designation,
    PartnershipKind,
    PartnershipStatus,
    RiskRating,
    Theme,
)


@dataclass(frozen=True)
class Window:
    """Which slice of a list: ``limit`` items from ``offset``."""

    offset: int
    limit: int


# -- country profiles -------------------------------------------------------------


@dataclass(frozen=True)
class CountryFilter:
    """Which countries to list; ``None`` filters nothing."""

    region_code: str | None = None
    migration_role: CountryRole | None = None
    designation: Designation | None = None
    #: Part of the English or Dutch name, compared case-insensitively.
    name: str | None = None


@dataclass(frozen=True)
class ChangeProfile:
    """A merge patch of a country's profile: snake_case field names to new values."""

    country_code: str
    updates: Mapping[str, Any]
    by: str


# -- focus designation ------------------------------------------------------------


@dataclass(frozen=True)
class DecideDesignation:
    """A designation decision to record; ``decided_by`` ``None`` means the caller decided."""

    country_code: str
    designation: Designation
    decided_on: date
    decided_by: str | None
    scores: tuple[CriterionScore, ...]
    review_date: date | None
    summary: str | None
    by: str


@dataclass(frozen=True)
class RankFocusCountries:
    """The ranking of current decisions; ``weights`` tries other weights for this list only.

    ``weights`` maps snake_case criterion weight names (``transit_country``) to
    the weights given; the configured ones stand for the others.
    """

    designation: Designation | None
    weights: Mapping[str, float]


# -- partnership tracks -----------------------------------------------------------


@dataclass(frozen=True)
class TrackFilter:
    """Which partnership tracks to list; ``None`` filters nothing."""

    country_code: str | None = None
    status: PartnershipStatus | None = None
    kind: PartnershipKind | None = None
    theme: Theme | None = None
    #: Tracks this organisation leads or takes part in.
    organisation: str | None = None


@dataclass(frozen=True)
class OpenPartnership:
    """A track to open in ``status`` (``exploring`` or ``active``) from ``status_since``."""

    country_code: str
    content: PartnershipContent
    status: PartnershipStatus
    status_since: date
    by: str


@dataclass(frozen=True)
class ChangePartnership:
    """A merge patch of a track's content: snake_case field names to new values."""

    country_code: str
    partnership_id: UUID
    updates: Mapping[str, Any]
    by: str


@dataclass(frozen=True)
class MovePartnership:
    """A track's move to another status."""

    country_code: str
    partnership_id: UUID
    status: PartnershipStatus
    effective_from: date
    reason: str | None
    by: str


# -- risk assessments -------------------------------------------------------------


@dataclass(frozen=True)
class AssessRisk:
    """A do-no-harm assessment to record; ``assessed_by`` ``None`` means the caller assessed."""

    country_code: str
    phase: AssessmentPhase
    partnership_id: UUID | None
    items: tuple[RiskItem, ...]
    outcome: AssessmentOutcome
    assessed_at: datetime
    assessed_by: str | None
    next_review_date: date
    summary: str | None
    by: str


@dataclass(frozen=True)
class AssessmentQuery:
    """Which assessments to list; ``None`` filters nothing.

    ``overdue`` ``True`` keeps the current ones past their review date, ``False``
    the others; ``current`` ``True`` keeps the latest of each scope.
    """

    country_code: str | None = None
    partnership_id: UUID | None = None
    overdue: bool | None = None
    residual_rating: RiskRating | None = None
    current: bool | None = None
