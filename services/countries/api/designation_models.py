"""What the focus-designation routes take in and give out."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import Field

from services.countries.api.common import OptionalDate
from services.countries.domain.designations import (
    CriterionScore,
    Decision,
    RankedDecision,
    Weights,
    review_overdue,
)
from services.countries.domain.partnerships import KnownOrganisation
from services.countries.domain.reference import country
from shared.contracts.vocabulary import Designation
from shared.http import UtcDateTime
from shared.http.models import ApiModel, InputModel, Text
from shared.http.pagination import Page
from shared.http.shaping import built_from


class NewDecision(InputModel):
    """A designation decision: the scores, the outcome, its date and its review date.

    Designations are decided by `am` or `bz`. `decidedBy` defaults to the
    calling organisation; only the taskforce secretariat (`tf-secretariaat`)
    may name another, recording a decision that ministry took. The caller is
    always recorded as `recordedBy`.
    """

    designation: Designation = Field(description="focus, watch, or none (withdraws).")
    decided_on: date = Field(description="Date of the decision; not in the future.")
    decided_by: KnownOrganisation | None = Field(
        default=None,
        description="Deciding organisation (`am` or `bz`); the caller's when left out. "
        "Only `tf-secretariaat` may name another organisation than itself, and must.",
    )
    scores: list[CriterionScore] = Field(
        min_length=1, max_length=8, description="Each of the four criteria scored once."
    )
    review_date: OptionalDate = Field(
        default=None, description="When to review; required for focus and watch."
    )
    summary: Text | None = Field(
        default=None, max_length=4000, description="The decision's reasoning in words."
    )


class DecisionView(ApiModel):
    """A recorded designation decision."""

    id: UUID = Field(description="The decision's id.")
    country_code: str = Field(description="ISO 3166-1 alpha-3 code.")
    designation: Designation = Field(description="The designation decided.")
    previous_designation: Designation = Field(description="The designation before it.")
    decided_on: date = Field(description="Date of the decision.")
    decided_by: str = Field(description="Deciding organisation.")
    scores: tuple[CriterionScore, ...] = Field(description="The criteria scores.")
    weights: Weights = Field(description="The criteria weights in force at the decision.")
    weighted_score: float = Field(description="Weighted score (0-5) with those weights.")
    review_date: OptionalDate = Field(description="When the designation is due for review.")
    summary: str | None = Field(description="The decision's reasoning.")
    recorded_at: UtcDateTime = Field(description="When the decision was recorded.")
    recorded_by: str = Field(
        description="Organisation that recorded it: the deciding one, or `tf-secretariaat` "
        "recording on its behalf."
    )
    current: bool = Field(description="True for the country's latest decision.")
    review_overdue: bool = Field(description="Current and past its review date.")

    @classmethod
    def of(cls, decision: Decision, today: date) -> DecisionView:
        """The decision, its review judged on ``today``."""
        overdue = decision.current and review_overdue(decision.review_date, today)
        return built_from(cls, decision, review_overdue=overdue)


class FocusCountryView(ApiModel):
    """A country in the ranking."""

    rank: int = Field(ge=1, description="Place by weighted score; equal scores share a place.")
    country_code: str = Field(description="ISO 3166-1 alpha-3 code.")
    name_en: str = Field(description="English name.")
    name_nl: str = Field(description="Dutch name.")
    designation: Designation = Field(description="Current designation.")
    weighted_score: float = Field(description="Weighted score (0-5) with the weights of the list.")
    scores: tuple[CriterionScore, ...] = Field(description="The current decision's scores.")
    decision_id: UUID = Field(description="The current decision.")
    decided_on: date = Field(description="Date of the current decision.")
    review_date: OptionalDate = Field(description="When the designation is due for review.")
    review_overdue: bool = Field(description="True when the review date has passed.")

    @classmethod
    def of(cls, entry: RankedDecision, today: date) -> FocusCountryView:
        """A ranked decision with its country's names, its review judged on ``today``."""
        decision = entry.decision
        reference = country(decision.country_code)
        if reference is None:  # decisions are only recorded for ISO 3166 countries
            raise ValueError(f"{decision.country_code} is not an ISO 3166 country")
        return built_from(
            cls,
            decision,
            reference,
            rank=entry.rank,
            weighted_score=entry.weighted_score,
            decision_id=decision.id,
            review_overdue=review_overdue(decision.review_date, today),
        )


class FocusCountryPage(Page[FocusCountryView]):
    """The ranking, one page of it, with the weights it was computed with."""

    weights: Weights = Field(description="Criteria weights used for `weightedScore` and `rank`.")
