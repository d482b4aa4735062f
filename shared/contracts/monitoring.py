"""v1 contracts of the monitoring service (topic ``taskforce.monitoring.v1``).

Monitoring's findings are about programmes, so every event is keyed by
``programmeId`` and carries the programme's routing fields: a flag lands on
the same partition as the programme's other monitoring events, and
notification routes can match it without a lookup.

Incidents and evaluations are referenced, not retold: the events say what
kind, how severe and where, never who. Details stay at the owning resource.
"""

from __future__ import annotations

from datetime import date
from typing import Self
from uuid import UUID

from pydantic import Field, HttpUrl, model_validator

from shared.contracts.programmes import PROGRAMME_EXAMPLE, ProgrammeEvent
from shared.contracts.vocabulary import (
    CountryCode,
    DacCriterion,
    EvaluationKind,
    EvaluationRating,
    EventRef,
    EvidenceKind,
    FlagCategory,
    FlagResolution,
    IntendedDirection,
    OrganisationCode,
    ReviewDecision,
    Severity,
    SideEffectCategory,
    Slug,
    ValueObject,
    schema_examples,
)
from shared.events.catalogue import event_type

_BASE = "http://127.0.0.1:8003/v1"
_FLAG_ID = "c2f1e0d9-8b7a-4c6d-9e5f-1a2b3c4d5e6f"
_INCIDENT_ID = "3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7"
_RESULT_ID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
_EVALUATION_ID = "d4c3b2a1-6f5e-4b7a-9d8c-5c4b3a2f1e0d"
_REVIEW_ID = "7d3c2b1a-0e9f-4a8b-8c7d-6e5f4a3b2c1d"
_ASSESSMENT_ID = "0f5b7a52-3c49-4d8e-bf3e-5a2f6d0c9e11"


class EvidenceRef(ValueObject):
    """A resource that supports a flag, by kind, id and URL."""

    kind: EvidenceKind = Field(description="What the evidence is.")
    resource_id: str = Field(
        min_length=1, max_length=100, description="Id of the resource at its owning service."
    )
    url: HttpUrl = Field(description="The resource at its owning service.")
    event: EventRef | None = Field(
        default=None, description="The event that brought the evidence in, when there was one."
    )


@event_type("monitoring", "programme-flagged")
class ProgrammeFlagged(ProgrammeEvent):
    """An adaptive-management rule flagged a programme for review.

    The category says why: counterproductive, negative side effects,
    underperforming, poorly evaluated, or at risk. Programmes opens a review
    on it; notifications alerts the owning ministry and partners, with the
    evidence attached by reference.
    """

    model_config = schema_examples(
        {
            **PROGRAMME_EXAMPLE,
            "flagId": _FLAG_ID,
            "flagUrl": f"{_BASE}/flags/{_FLAG_ID}",
            "category": "risk",
            "severity": "high",
            "ruleId": "residual-risk-high",
            "ruleVersion": 1,
            "evidence": [
                {
                    "kind": "risk-assessment",
                    "resourceId": _ASSESSMENT_ID,
                    "url": f"http://127.0.0.1:8001/v1/countries/TUN/risk-assessments/{_ASSESSMENT_ID}",
                    "event": {
                        "eventId": "6f1e2d3c-4b5a-4968-8776-655443322110",
                        "eventType": "nl.migratiesamenwerking.countries.human-rights-risk-assessed",
                        "source": "urn:nld:oin:00000000000000000000:systeem:countries",
                    },
                }
            ],
            "recommendsDisbursementHold": False,
        }
    )

    flag_id: UUID = Field(description="The flag.")
    flag_url: HttpUrl = Field(description="The flag at the monitoring service.")
    category: FlagCategory = Field(description="Why the programme was flagged.")
    severity: Severity = Field(description="How urgent the finding is.")
    rule_id: Slug = Field(description="The adaptive-management rule that fired.")
    rule_version: int = Field(ge=1, description="Version of that rule, for reproducibility.")
    evidence: tuple[EvidenceRef, ...] = Field(
        min_length=1, description="What the finding rests on."
    )
    recommends_disbursement_hold: bool = Field(
        default=False, description="True when the rule advises holding disbursements until review."
    )


@event_type("monitoring", "flag-resolved")
class FlagResolved(ProgrammeEvent):
    """A flag on a programme was closed, normally because its review was decided."""

    model_config = schema_examples(
        {
            **PROGRAMME_EXAMPLE,
            "flagId": _FLAG_ID,
            "flagUrl": f"{_BASE}/flags/{_FLAG_ID}",
            "category": "risk",
            "resolution": "review-decided",
            "reviewId": _REVIEW_ID,
            "decision": "adapt",
        }
    )

    flag_id: UUID = Field(description="The flag.")
    flag_url: HttpUrl = Field(description="The flag at the monitoring service.")
    category: FlagCategory = Field(description="The flag's category, repeated for routing.")
    resolution: FlagResolution = Field(description="How the flag came to be closed.")
    review_id: UUID | None = Field(default=None, description="The review that decided it, if any.")
    decision: ReviewDecision | None = Field(
        default=None, description="That review's decision, if any."
    )

    @model_validator(mode="after")
    def _decision_with_review(self) -> Self:
        if self.resolution is FlagResolution.REVIEW_DECIDED and (
            self.review_id is None or self.decision is None
        ):
            raise ValueError("resolution `review-decided` needs reviewId and decision")
        return self


@event_type("monitoring", "indicator-result-recorded")
class IndicatorResultRecorded(ProgrammeEvent):
    """A result for one of a programme's indicators was recorded for a reporting period."""

    model_config = schema_examples(
        {
            **PROGRAMME_EXAMPLE,
            "resultId": _RESULT_ID,
            "resultUrl": f"{_BASE}/indicator-results/{_RESULT_ID}",
            "indicatorId": "reported-abuse-at-border-posts",
            "periodStart": "2026-01-01",
            "periodEnd": "2026-03-31",
            "value": 14.0,
            "previousValue": 9.0,
            "direction": "decrease",
            "revision": 1,
        }
    )

    result_id: UUID = Field(description="The result.")
    result_url: HttpUrl = Field(description="The result at the monitoring service.")
    indicator_id: Slug = Field(description="The indicator, as named in the results framework.")
    period_start: date = Field(description="First day of the reporting period.")
    period_end: date = Field(description="Last day of the reporting period.")
    value: float | None = Field(
        default=None,
        description="Measured value; absent for qualitative indicators (kept at `resultUrl`).",
    )
    previous_value: float | None = Field(
        default=None, description="Value of the previous period, if there was one."
    )
    direction: IntendedDirection = Field(
        description="Intended direction of the indicator, repeated so rules need no lookup."
    )
    revision: int = Field(
        default=1, ge=1, description="1 when first recorded; each correction adds one."
    )

    @model_validator(mode="after")
    def _ordered_period(self) -> Self:
        if self.period_end < self.period_start:
            raise ValueError("periodEnd is before periodStart")
        return self


@event_type("monitoring", "incident-reported")
class IncidentReported(ProgrammeEvent):
    """A serious incident linked to a programme was reported.

    Carries kind, severity, country and date only: no names, no places finer
    than a country, no narrative. The report stays at `incidentUrl`.
    """

    model_config = schema_examples(
        {
            **PROGRAMME_EXAMPLE,
            "incidentId": _INCIDENT_ID,
            "incidentUrl": f"{_BASE}/incidents/{_INCIDENT_ID}",
            "category": "mistreatment",
            "severity": "critical",
            "countryCode": "TUN",
            "occurredOn": "2026-02-11",
            "verified": True,
            "reportedBy": "bz",
        }
    )

    incident_id: UUID = Field(description="The incident report.")
    incident_url: HttpUrl = Field(description="The report at the monitoring service.")
    category: SideEffectCategory = Field(description="Kind of negative side effect.")
    severity: Severity = Field(description="How serious the incident is.")
    country_code: CountryCode = Field(description="Country where it happened.")
    occurred_on: date = Field(description="Date it happened (no time of day).")
    verified: bool = Field(default=False, description="True once the report has been verified.")
    reported_by: OrganisationCode = Field(description="Organisation that reported it.")


class CriterionRating(ValueObject):
    """An evaluation's rating on one OECD DAC criterion."""

    criterion: DacCriterion = Field(description="The criterion.")
    rating: EvaluationRating = Field(description="The rating on it.")


@event_type("monitoring", "evaluation-recorded")
class EvaluationRecorded(ProgrammeEvent):
    """An evaluation of a programme was recorded, with its ratings on the OECD DAC criteria."""

    model_config = schema_examples(
        {
            **PROGRAMME_EXAMPLE,
            "evaluationId": _EVALUATION_ID,
            "evaluationUrl": f"{_BASE}/evaluations/{_EVALUATION_ID}",
            "kind": "mid-term",
            "independent": True,
            "completedOn": "2027-06-30",
            "overallRating": "unsatisfactory",
            "criteria": [
                {"criterion": "relevance", "rating": "satisfactory"},
                {"criterion": "effectiveness", "rating": "unsatisfactory"},
            ],
        }
    )

    evaluation_id: UUID = Field(description="The evaluation.")
    evaluation_url: HttpUrl = Field(description="The evaluation at the monitoring service.")
    kind: EvaluationKind = Field(description="When in the programme cycle it was made.")
    independent: bool = Field(description="True for an independent evaluation.")
    completed_on: date = Field(description="Date the evaluation report was completed.")
    overall_rating: EvaluationRating = Field(description="Overall rating.")
    criteria: tuple[CriterionRating, ...] = Field(
        default=(), description="Ratings per OECD DAC criterion that was evaluated."
    )

    @model_validator(mode="after")
    def _one_rating_per_criterion(self) -> Self:
        names = [item.criterion for item in self.criteria]
        if len(set(names)) != len(names):
            raise ValueError("each criterion may be rated once")
        return self
