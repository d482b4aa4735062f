"""Evaluations and incident reports as requests and responses.

Incident reports hold no names or identifying details of individuals: a closed
category, a severity, a country, a date and a bounded summary. Incident and
evaluation summaries are about no one in person: ``shared.personal_data``
refuses one that carries a date of birth, an address, a phone or identifying
number or an e-mail address. A summary is need-to-know
(:mod:`services.monitoring.api.readers`).
"""

from __future__ import annotations

from datetime import date
from typing import Final
from uuid import UUID

from pydantic import Field

from services.monitoring.api.readers import READERS, audience
from services.monitoring.domain.evidence import Evaluation, Incident
from services.monitoring.domain.programmes import Programme
from shared.contracts.vocabulary import (
    PROGRAMME_ID_PATTERN,
    CountryCode,
    DacCriterion,
    EvaluationKind,
    EvaluationRating,
    Severity,
    SideEffectCategory,
)
from shared.http import UtcDateTime
from shared.http.models import ApiModel, InputModel, Text, WebUrl
from shared.need_to_know import NeedToKnow, need_to_know_text, withheld_field, withhold

#: How a summary's description states the "about no one in person" refusal.
NO_ONE: Final = (
    "Refused (422) when it carries a date of birth, an address, a phone, V-, BSN, document or "
    "other identifying number, or an e-mail address."
)


class Ratings(InputModel):
    """A rating on each of the six OECD DAC criteria."""

    relevance: EvaluationRating
    coherence: EvaluationRating
    effectiveness: EvaluationRating
    efficiency: EvaluationRating
    impact: EvaluationRating
    sustainability: EvaluationRating

    def by_criterion(self) -> dict[DacCriterion, EvaluationRating]:
        return {c: getattr(self, c.value) for c in DacCriterion}


class NewEvaluation(InputModel):
    programme_id: str = Field(pattern=PROGRAMME_ID_PATTERN)
    kind: EvaluationKind
    independent: bool = Field(description="True for an independent evaluation, false internal.")
    completed_on: date = Field(description="When the report was completed; not in the future.")
    overall_rating: EvaluationRating
    ratings: Ratings
    summary: Text = Field(
        min_length=1,
        max_length=4000,
        description="The evaluation's findings in general terms, about no one in person: no "
        "names or details that could identify a person. " + NO_ONE,
    )
    document_url: WebUrl = Field(description="The evaluation report.")


class EvaluationOut(ApiModel):
    evaluation_id: UUID
    programme_id: str
    kind: EvaluationKind
    independent: bool
    completed_on: date
    overall_rating: EvaluationRating
    ratings: dict[str, EvaluationRating]
    summary: str | None = need_to_know_text("The evaluation's findings in words.", READERS)
    document_url: str
    recorded_by: str
    recorded_at: UtcDateTime
    withheld: list[str] = withheld_field("summary")

    @classmethod
    def of(cls, evaluation: Evaluation, *, shown: bool) -> EvaluationOut:
        """The evaluation; its summary only when ``shown`` (else null and named withheld)."""
        texts, withheld = withhold(shown, summary=evaluation.summary)
        return cls(
            evaluation_id=evaluation.evaluation_id,
            programme_id=evaluation.programme_id,
            kind=evaluation.kind,
            independent=evaluation.independent,
            completed_on=evaluation.completed_on,
            overall_rating=evaluation.overall_rating,
            ratings={c.value: r for c, r in evaluation.ratings.items()},
            document_url=evaluation.document_url,
            recorded_by=evaluation.recorded_by,
            recorded_at=evaluation.recorded_at,
            withheld=withheld,
            **texts,
        )

    @classmethod
    def seen_by(
        cls, viewer: NeedToKnow, evaluation: Evaluation, programme: Programme | None
    ) -> EvaluationOut:
        """The evaluation as ``viewer`` may read it; a summary handed out is noted for audit."""
        readers = audience(programme, evaluation.recorded_by)
        ref = f"evaluation/{evaluation.evaluation_id}"
        return cls.of(evaluation, shown=viewer.reveal(readers, ref, evaluation.summary))


class NewIncident(InputModel):
    """A negative side effect on migrants or others. Never name or identify anyone."""

    programme_id: str = Field(pattern=PROGRAMME_ID_PATTERN)
    category: SideEffectCategory
    severity: Severity
    country_code: CountryCode
    occurred_on: date = Field(description="Date it happened; not in the future.")
    verified: bool = Field(description="True when the report has been verified.")
    summary: Text = Field(
        min_length=1,
        max_length=500,
        description="What happened, in general terms, about no one in person: no names, "
        "contact details or numbers that could identify a person. " + NO_ONE,
    )


class IncidentOut(ApiModel):
    incident_id: UUID
    programme_id: str
    category: SideEffectCategory
    severity: Severity
    country_code: str
    occurred_on: date
    verified: bool
    reported_by: str = Field(description="The reporting organisation.")
    summary: str | None = need_to_know_text("What happened, in general terms.", READERS)
    recorded_at: UtcDateTime
    withheld: list[str] = withheld_field("summary")

    @classmethod
    def of(cls, incident: Incident, *, shown: bool) -> IncidentOut:
        """The report; its summary only when ``shown`` (else null and named withheld)."""
        texts, withheld = withhold(shown, summary=incident.summary)
        return cls(
            incident_id=incident.incident_id,
            programme_id=incident.programme_id,
            category=incident.category,
            severity=incident.severity,
            country_code=incident.country_code,
            occurred_on=incident.occurred_on,
            verified=incident.verified,
            reported_by=incident.reported_by,
            recorded_at=incident.recorded_at,
            withheld=withheld,
            **texts,
        )

    @classmethod
    def seen_by(
        cls, viewer: NeedToKnow, incident: Incident, programme: Programme | None
    ) -> IncidentOut:
        """The report as ``viewer`` may read it; a summary handed out is noted for audit."""
        readers = audience(programme, incident.reported_by)
        ref = f"incident/{incident.incident_id}"
        return cls.of(incident, shown=viewer.reveal(readers, ref, incident.summary))
