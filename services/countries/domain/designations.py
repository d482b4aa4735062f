"""Focus-country designation: scoring the seed's criteria, deciding, revising, ranking.

The letter of 23 May 2025 chooses focus countries by how far a country is a
transit country towards the EU and the Netherlands, how far it is a country
of origin for returns from the Netherlands, the scope for bilateral action
(diplomatic relations, leverage), and the added value of Dutch action over an
EU-wide approach. Each criterion is scored 0-5 with a short rationale.

**Weighted score.** With weights ``w`` (configurable, each 0-10, not all 0)
and scores ``s`` (0-5), the weighted score is the weighted mean
``sum(w_i * s_i) / sum(w_i)``, rounded to two decimals: it stays on the 0-5
scale whatever the weights, so scores of different weightings can be read the
same way.

**Decisions.** A designation (focus, watch, none) is a decision with a date,
a deciding organisation, the scores, and a review date (required for focus
and watch). Decisions of a country are recorded in date order; the latest is
current. A decision that changes the designation is a *change* (``none``
after ``focus`` or ``watch`` withdraws it); one that keeps it is a *review*
(new scores, new review date). A current decision whose review date has
passed is overdue for review.

**Ranking.** Countries are ranked by weighted score computed with the
weights in force *now*, highest first. Equal scores share a rank (standard
competition ranking: 1, 2, 2, 4); among equals, focus comes before watch
before none, then alpha-3 code order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Final
from uuid import UUID

from pydantic import Field

from services.countries.domain.base import ValueObject
from shared.contracts.vocabulary import Designation, DesignationCriterion
from shared.errors import Violation
from shared.http.models import Text

#: The criteria, in the order the letter gives them.
CRITERIA: Final = tuple(DesignationCriterion)
MAX_SCORE: Final = 5
#: Designations that need a review date.
DESIGNATED: Final = frozenset({Designation.FOCUS, Designation.WATCH})
_DESIGNATION_ORDER: Final = {Designation.FOCUS: 0, Designation.WATCH: 1, Designation.NONE: 2}


class CriterionScore(ValueObject):
    """One criterion, scored 0 (not at all) to 5 (very much), with a short rationale."""

    criterion: DesignationCriterion = Field(description="The selection criterion.")
    score: int = Field(ge=0, le=MAX_SCORE, description="0 (not at all) to 5 (very much).")
    rationale: Text = Field(min_length=1, max_length=1000, description="Why this score.")


class Weights(ValueObject):
    """How much each criterion counts in the weighted score (0-10 each, not all 0)."""

    transit_country: float = Field(default=1.0, ge=0, le=10, description="Transit country.")
    country_of_origin: float = Field(
        default=1.0, ge=0, le=10, description="Country of origin for returns."
    )
    bilateral_scope: float = Field(
        default=1.0, ge=0, le=10, description="Scope for bilateral action."
    )
    added_value_over_eu: float = Field(
        default=1.0, ge=0, le=10, description="Dutch added value over an EU-wide approach."
    )

    def of(self, criterion: DesignationCriterion) -> float:
        return float(getattr(self, criterion.value.replace("-", "_")))

    @property
    def total(self) -> float:
        return sum(self.of(criterion) for criterion in CRITERIA)


def check_weights(weights: Weights, field: str = "weights") -> list[Violation]:
    if weights.total <= 0:
        return [Violation(field, "At least one criterion must have a weight above 0.")]
    return []


def check_scores(scores: Sequence[CriterionScore]) -> list[Violation]:
    """Every criterion scored exactly once."""
    violations: list[Violation] = []
    seen: set[DesignationCriterion] = set()
    for index, item in enumerate(scores):
        if item.criterion in seen:
            violations.append(
                Violation(f"scores[{index}].criterion", f"{item.criterion} is scored twice.")
            )
        seen.add(item.criterion)
    missing = [criterion.value for criterion in CRITERIA if criterion not in seen]
    if missing:
        violations.append(
            Violation(
                "scores", "Every criterion needs a score; missing: " + ", ".join(missing) + "."
            )
        )
    return violations


def weighted_score(scores: Iterable[CriterionScore], weights: Weights) -> float:
    """``sum(w_i * s_i) / sum(w_i)`` over the scored criteria, rounded to 2 decimals."""
    pairs = [(weights.of(item.criterion), item.score) for item in scores]
    total = sum(weight for weight, _ in pairs)
    if total <= 0:
        return 0.0
    return round(sum(weight * score for weight, score in pairs) / total, 2)


class DecisionKind(StrEnum):
    """What a decision does to the designation."""

    CHANGE = "change"
    REVIEW = "review"


def kind_of(previous: Designation, designation: Designation) -> DecisionKind:
    return DecisionKind.REVIEW if previous is designation else DecisionKind.CHANGE


@dataclass(frozen=True)
class Decision:
    """A recorded designation decision; ``weights`` and ``weighted_score`` as at the decision."""

    id: UUID
    country_code: str
    designation: Designation
    previous_designation: Designation
    decided_on: date
    decided_by: str
    scores: tuple[CriterionScore, ...]
    weights: Weights
    weighted_score: float
    review_date: date | None
    summary: str | None
    recorded_at: datetime
    recorded_by: str
    current: bool = True


def check_decision(
    *,
    designation: Designation,
    decided_on: date,
    review_date: date | None,
    today: date,
    current: Decision | None,
) -> list[Violation]:
    """Dates of a new decision against the calendar and the country's current decision.

    - not dated in the future;
    - not dated before the current decision (decisions are recorded in order);
    - focus and watch need a review date; a review date lies after the decision.
    """
    violations: list[Violation] = []
    if decided_on > today:
        violations.append(Violation("decidedOn", "A decision cannot be dated in the future."))
    if current is not None and decided_on < current.decided_on:
        violations.append(
            Violation(
                "decidedOn",
                f"The current decision is of {current.decided_on.isoformat()}; "
                "a later decision cannot be dated before it.",
            )
        )
    if designation in DESIGNATED and review_date is None:
        violations.append(
            Violation("reviewDate", f"A {designation} designation needs a review date.")
        )
    if review_date is not None and review_date <= decided_on:
        violations.append(Violation("reviewDate", "The review date must be after decidedOn."))
    return violations


def review_overdue(review_date: date | None, today: date) -> bool:
    """A review date that has passed (the review date itself is not yet overdue)."""
    return review_date is not None and review_date < today


@dataclass(frozen=True)
class RankedDecision:
    """A current decision's place in the ranking, scored with the weights in force now."""

    rank: int
    weighted_score: float
    decision: Decision


def rank(decisions: Iterable[Decision], weights: Weights) -> list[RankedDecision]:
    """Highest weighted score first; ties share a rank, then focus, watch, none, then code."""
    scored = sorted(
        ((weighted_score(d.scores, weights), d) for d in decisions),
        key=lambda pair: (-pair[0], _DESIGNATION_ORDER[pair[1].designation], pair[1].country_code),
    )
    ranked: list[RankedDecision] = []
    for position, (score, decision) in enumerate(scored, start=1):
        tied = bool(ranked) and ranked[-1].weighted_score == score
        ranked.append(RankedDecision(ranked[-1].rank if tied else position, score, decision))
    return ranked
