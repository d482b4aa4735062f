"""Do-no-harm human-rights risk assessments, before and within a partnership.

An assessment lists risk items by category, each with likelihood and impact
on a 1-5 scale before mitigation, the mitigation, and the residual likelihood
and impact after it.

**Rating derivation** (never typed by hand). An item's score is likelihood x
impact (1-25), banded as::

    1-4   low
    5-9   medium
    10-16 high
    17-25 very-high   (only 20 and 25 occur)

The assessment's **residual rating** is the band of the highest residual
item score (its inherent rating likewise from the scores before mitigation):
the worst remaining risk governs, so one severe risk is never averaged away by
several small ones. The categories "of concern" are those with at least one
item whose residual rating is medium or above.

**Rules.** Mitigation cannot raise a risk (residual likelihood and impact at
most the inherent ones), and an item whose residual risk is lower than its
inherent risk names the mitigation. An assessment is not dated in the future;
its next review date lies after the assessment date; assessments of one scope
(a country as a whole, or one partnership track) are recorded in time order,
and the latest is current. A current assessment whose next review date has
passed is **overdue**; a superseded one never is.

**Readers.** An item's description and mitigation and the assessment's summary
say what may happen to migrants and others in the cooperation, so they are
need-to-know (``shared.need_to_know``) and belong to the partnership: the
assessed track's lead and participating organisations (for a country-wide
assessment, those of the country's tracks that have not ended: whoever still
cooperates with the country), and always the assessing and the recording
organisation, who wrote it (:func:`readers`). Owners of programmes in the country
are not named: the countries service keeps no programmes, and the programmes
that matter are the partnership's own, led by its organisations.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Final
from uuid import UUID

from pydantic import Field

from services.countries.domain.base import ValueObject
from services.countries.domain.partnerships import Partnership
from shared.contracts.vocabulary import (
    AssessmentOutcome,
    AssessmentPhase,
    PartnershipStatus,
    RiskCategory,
    RiskRating,
)
from shared.errors import Violation
from shared.http.models import Text
from shared.personal_data import refusals

Scale = Annotated[int, Field(ge=1, le=5)]
"""A likelihood or impact: 1 (very low) to 5 (very high)."""

#: Upper bound of each band of likelihood x impact, in increasing order.
BANDS: Final = ((4, RiskRating.LOW), (9, RiskRating.MEDIUM), (16, RiskRating.HIGH))


def rating_for(score: int) -> RiskRating:
    """The band of a likelihood x impact score (1-25)."""
    if not 1 <= score <= 25:
        raise ValueError(f"a risk score is 1-25, not {score}")
    for upper, rating in BANDS:
        if score <= upper:
            return rating
    return RiskRating.VERY_HIGH


class RiskItem(ValueObject):
    """One risk to migrants' human rights, before and after mitigation.

    The texts describe the risk and the mitigation, never individuals: one
    that carries a date of birth, an address or an identifying number is
    refused (``shared.personal_data``).
    """

    category: RiskCategory = Field(description="The kind of human-rights risk.")
    description: Text | None = Field(
        default=None,
        max_length=2000,
        description="The risk in words, about no one in person: no names or details that "
        "identify someone (refused when it carries a date of birth, an address, a phone or "
        "identifying number or an e-mail address).",
    )
    likelihood: Scale = Field(description="Likelihood before mitigation, 1-5.")
    impact: Scale = Field(description="Impact before mitigation, 1-5.")
    mitigation: Text | None = Field(
        default=None,
        max_length=2000,
        description="What reduces the risk, about no one in person (refused like `description`).",
    )
    residual_likelihood: Scale = Field(description="Likelihood after mitigation, 1-5.")
    residual_impact: Scale = Field(description="Impact after mitigation, 1-5.")

    @property
    def inherent_score(self) -> int:
        return self.likelihood * self.impact

    @property
    def residual_score(self) -> int:
        return self.residual_likelihood * self.residual_impact

    @property
    def inherent_rating(self) -> RiskRating:
        return rating_for(self.inherent_score)

    @property
    def residual_rating(self) -> RiskRating:
        return rating_for(self.residual_score)


def residual_rating(items: Iterable[RiskItem]) -> RiskRating:
    """Band of the highest residual score; an assessment has at least one item."""
    return rating_for(max(item.residual_score for item in items))


def inherent_rating(items: Iterable[RiskItem]) -> RiskRating:
    """Band of the highest score before mitigation."""
    return rating_for(max(item.inherent_score for item in items))


def categories_of_concern(items: Iterable[RiskItem]) -> tuple[RiskCategory, ...]:
    """Categories with an item rated medium or above after mitigation, in vocabulary order."""
    concerned = {item.category for item in items if item.residual_rating.rank >= 1}
    return tuple(category for category in RiskCategory if category in concerned)


def check_items(items: Sequence[RiskItem]) -> list[Violation]:
    """Mitigation does not raise a risk; a lowered risk names its mitigation; no one in person."""
    violations: list[Violation] = []
    for index, item in enumerate(items):
        at = f"items[{index}]"
        if item.residual_likelihood > item.likelihood:
            violations.append(
                Violation(f"{at}.residualLikelihood", "Mitigation cannot raise the likelihood.")
            )
        if item.residual_impact > item.impact:
            violations.append(
                Violation(f"{at}.residualImpact", "Mitigation cannot raise the impact.")
            )
        if item.residual_score < item.inherent_score and not (item.mitigation or "").strip():
            violations.append(
                Violation(f"{at}.mitigation", "A lower residual risk needs the mitigation named.")
            )
        texts = {f"{at}.description": item.description, f"{at}.mitigation": item.mitigation}
        violations += refusals(texts, Violation)
    return violations


def check_dates(
    *,
    assessed_at: datetime,
    next_review_date: date,
    now: datetime,
    latest_in_scope: datetime | None,
) -> list[Violation]:
    """The assessment's dates against the clock and the latest assessment of the same scope."""
    violations: list[Violation] = []
    if assessed_at > now:
        violations.append(Violation("assessedAt", "An assessment cannot be dated in the future."))
    if latest_in_scope is not None and assessed_at <= latest_in_scope:
        violations.append(
            Violation(
                "assessedAt",
                f"The current assessment of this scope is of {latest_in_scope.isoformat()}; "
                "a later assessment cannot be dated before it.",
            )
        )
    if next_review_date <= assessed_at.date():
        violations.append(
            Violation("nextReviewDate", "The next review date must be after the assessment.")
        )
    return violations


def is_overdue(next_review_date: date, today: date, *, current: bool) -> bool:
    """Past its review date (the date itself is not overdue yet) and not superseded."""
    return current and next_review_date < today


@dataclass(frozen=True)
class Assessment:
    """A recorded assessment with its derived ratings."""

    id: UUID
    country_code: str
    partnership_id: UUID | None
    phase: AssessmentPhase
    items: tuple[RiskItem, ...]
    inherent_rating: RiskRating
    residual_rating: RiskRating
    previous_residual_rating: RiskRating | None
    outcome: AssessmentOutcome
    assessed_at: datetime
    assessed_by: str
    next_review_date: date
    summary: str | None
    recorded_at: datetime
    recorded_by: str
    current: bool = True


def readers(assessment: Assessment, tracks: Iterable[Partnership]) -> frozenset[str]:
    """Who reads ``assessment``'s texts besides the secretariat, given its country's ``tracks``."""
    if assessment.partnership_id is not None:
        involved = [t for t in tracks if t.id == assessment.partnership_id]
    else:
        involved = [t for t in tracks if t.status is not PartnershipStatus.ENDED]
    return frozenset(
        {
            assessment.assessed_by,
            assessment.recorded_by,
            *(t.content.lead_organisation for t in involved),
            *(o for t in involved for o in t.content.participating_organisations),
        }
    )
