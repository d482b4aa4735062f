"""Evaluations and incident reports: evidence on a programme that the rules read.

An evaluation rates the programme on the six OECD DAC criteria (four-point
scale); an incident report records a negative side effect on migrants or
others, in a closed category, with a severity, a country, a date and a bounded
summary. Neither names or identifies anyone: a summary that carries a personal
detail is refused (:mod:`shared.personal_data`). Both happened already: their
dates are not in the future.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from services.monitoring.domain.programmes import Programme
from services.monitoring.domain.rules import EvaluationFacts, IncidentFacts
from shared.contracts.vocabulary import (
    DacCriterion,
    EvaluationKind,
    EvaluationRating,
    Severity,
    SideEffectCategory,
)
from shared.errors import Violation, invalid
from shared.personal_data import refusals


@dataclass(frozen=True)
class Evaluation:
    evaluation_id: UUID
    programme_id: str
    kind: EvaluationKind
    independent: bool
    completed_on: date
    overall_rating: EvaluationRating
    #: A rating per DAC criterion, in the criteria's order.
    ratings: Mapping[DacCriterion, EvaluationRating]
    summary: str
    document_url: str
    recorded_by: str
    recorded_at: datetime

    def facts(self) -> EvaluationFacts:
        """The evaluation as the rules read it."""
        return EvaluationFacts(str(self.evaluation_id), self.ratings)


@dataclass(frozen=True)
class Incident:
    incident_id: UUID
    programme_id: str
    category: SideEffectCategory
    severity: Severity
    country_code: str
    occurred_on: date
    verified: bool
    reported_by: str
    summary: str
    recorded_at: datetime

    def facts(self) -> IncidentFacts:
        """The report as the rules read it."""
        return IncidentFacts(str(self.incident_id), self.severity, self.verified)


def reported_on(
    programme: Programme | None, dated: tuple[str, date], summary: str, today: date
) -> Programme:
    """The programme evidence dated ``dated`` is reported on, once nothing is wrong with it.

    ``programme`` is None when monitoring does not know it; ``dated`` is the
    date field by name (``completedOn``, ``occurredOn``) and its value. Every
    violation is named at once (422).
    """
    found = [] if programme else [Violation("programmeId", "not a programme monitoring knows")]
    field, on = dated
    if on > today:
        found.append(Violation(field, "is in the future"))
    found += refusals({"summary": summary}, Violation)
    if found or programme is None:
        invalid(found)
    return programme
