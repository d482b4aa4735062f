"""What the use cases are asked to do: one frozen dataclass per command or query.

Routes build them from requests, ``handlers.py`` from other services' events. A
command that changes a programme names the organisation acting, since only the
owner may (``domain/rights.py``); a new programme (a draft ``Programme``) and a
new transaction (a ``Transaction``) are domain values and carry it themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from services.programmes.domain.budget import YearBudget
from services.programmes.domain.programme import ProgrammeFilter
from services.programmes.domain.results import Indicator
from services.programmes.domain.reviews import DecisionRequest, Origin, Trigger
from shared.contracts.vocabulary import (
    ActivityStatus,
    AssessmentOutcome,
    Designation,
    RiskRating,
    Severity,
)

# -- the owner's changes to a programme ------------------------------------------------


@dataclass(frozen=True)
class ChangeStatus:
    """Move the programme to ``status``: the owner's request, or a review decision's effect."""

    programme_id: str
    organisation: str
    status: ActivityStatus
    reason: str
    effective_on: date | None = None
    #: The review whose decision made the move, if one did.
    review_id: UUID | None = None


@dataclass(frozen=True)
class ReplaceBudget:
    programme_id: str
    organisation: str
    budgets: tuple[YearBudget, ...]


@dataclass(frozen=True)
class ReplaceResultsFramework:
    programme_id: str
    organisation: str
    indicators: tuple[Indicator, ...]


@dataclass(frozen=True)
class DecideReview:
    """The owner's decision on a review; ``request.decided_by`` is the organisation acting."""

    programme_id: str
    review_id: UUID
    request: DecisionRequest


# -- findings and the countries read model, from other services' events -----------------


@dataclass(frozen=True)
class ReceiveFinding:
    """A finding on one programme, judged by the programme's ``status``."""

    programme_id: str
    status: ActivityStatus
    trigger: Trigger


@dataclass(frozen=True)
class TakeFlag:
    """Monitoring flagged the programme, in a category and with a severity."""

    programme_id: str
    flag_id: UUID
    category: str
    severity: Severity
    recommends_hold: bool
    origin: Origin


@dataclass(frozen=True)
class TakeRiskAssessment:
    """A country's human-rights risk was assessed (``previous``: as the event says, if it does)."""

    country_code: str
    residual: RiskRating
    previous: RiskRating | None
    outcome: AssessmentOutcome
    assessment_id: UUID
    assessed_at: datetime
    origin: Origin


@dataclass(frozen=True)
class TakeDesignation:
    country_code: str
    designation: Designation
    decided_on: date


@dataclass(frozen=True)
class TakeProfile:
    country_code: str
    revision: int


# -- reads -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """Which part of a list: skip ``offset`` items, take at most ``limit``."""

    offset: int
    limit: int


@dataclass(frozen=True)
class FindProgrammes:
    criteria: ProgrammeFilter
    window: Window


@dataclass(frozen=True)
class FindReview:
    programme_id: str
    review_id: UUID
