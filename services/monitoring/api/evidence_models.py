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

from services.monitoring.api.readers import READERS, audience, summary_seen_by
from services.monitoring.domain.evidence import (
    Evaluation,
    EvaluationReport,
    Incident,
    IncidentReport,
)
from services.monitoring.service_layer.reading import Read
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
from shared.http.shaping import built_from
from shared.need_to_know import NeedToKnow, need_to_know_text, withheld_field

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

    def report(self, recorded_by: str) -> EvaluationReport:
        """The evaluation as ``recorded_by`` states it."""
        ratings, document_url = self.ratings.by_criterion(), str(self.document_url)
        values = {**dict(self), "ratings": ratings, "document_url": document_url}
        return EvaluationReport(**values, recorded_by=recorded_by)


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
    def seen_by(cls, viewer: NeedToKnow | None, found: Read[Evaluation]) -> EvaluationOut:
        """The evaluation as ``viewer`` may read it (None: its author, just recorded)."""
        evaluation = found.item
        readers = audience(found.programme, evaluation.recorded_by)
        ref = f"evaluation/{evaluation.evaluation_id}"
        summary = summary_seen_by(viewer, readers, ref, evaluation.summary)
        ratings = {c.value: r for c, r in evaluation.ratings.items()}
        return built_from(cls, evaluation, ratings=ratings, **summary)


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

    def report(self, reported_by: str) -> IncidentReport:
        """The incident as ``reported_by`` reports it."""
        return IncidentReport(**dict(self), reported_by=reported_by)


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
    def seen_by(cls, viewer: NeedToKnow | None, found: Read[Incident]) -> IncidentOut:
        """The report as ``viewer`` may read it (None: its author, just reported)."""
        incident = found.item
        readers = audience(found.programme, incident.reported_by)
        summary = summary_seen_by(
            viewer, readers, f"incident/{incident.incident_id}", incident.summary
        )
        return built_from(cls, incident, **summary)
