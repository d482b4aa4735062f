"""Evaluations and incident reports: evidence on a programme that the rules read.

An evaluation rates the programme on the six OECD DAC criteria (four-point
scale); an incident report records a negative side effect on migrants or
others, in a closed category, with a severity, a country, a date and a bounded
summary. Neither names or identifies anyone: a summary that carries a personal
detail is refused (:mod:`shared.personal_data`). Both happened already: their
dates are not in the future.

What the reporting organisation states is the report (the use case's
command); once recorded it has an id and the instant monitoring recorded it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar, Protocol
from uuid import UUID

from services.monitoring.domain.programmes import Programme
from services.monitoring.domain.rights import Evidence
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


class Report(Protocol):
    """Evidence as an organisation reports it on a programme."""

    #: What the reporter does, as a refusal names it (who may: ``domain/rights.py``).
    reported_as: ClassVar[Evidence]

    @property
    def programme_id(self) -> str: ...

    @property
    def summary(self) -> str: ...

    @property
    def author(self) -> str:
        """The organisation reporting it."""
        ...

    @property
    def dated(self) -> tuple[str, date]:
        """The field that dates it (by name) and its date."""
        ...


@dataclass(frozen=True)
class EvaluationReport:
    reported_as: ClassVar[Evidence] = Evidence.EVALUATION

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

    @property
    def author(self) -> str:
        return self.recorded_by

    @property
    def dated(self) -> tuple[str, date]:
        return ("completedOn", self.completed_on)


@dataclass(frozen=True)
class Evaluation(EvaluationReport):
    evaluation_id: UUID
    recorded_at: datetime

    @classmethod
    def recorded(cls, report: EvaluationReport, evaluation_id: UUID, at: datetime) -> Evaluation:
        return cls(**vars(report), evaluation_id=evaluation_id, recorded_at=at)

    def facts(self) -> EvaluationFacts:
        """The evaluation as the rules read it."""
        return EvaluationFacts(str(self.evaluation_id), self.ratings)


@dataclass(frozen=True)
class IncidentReport:
    reported_as: ClassVar[Evidence] = Evidence.INCIDENT

    programme_id: str
    category: SideEffectCategory
    severity: Severity
    country_code: str
    occurred_on: date
    verified: bool
    summary: str
    reported_by: str

    @property
    def author(self) -> str:
        return self.reported_by

    @property
    def dated(self) -> tuple[str, date]:
        return ("occurredOn", self.occurred_on)


@dataclass(frozen=True)
class Incident(IncidentReport):
    incident_id: UUID
    recorded_at: datetime

    @classmethod
    def recorded(cls, report: IncidentReport, incident_id: UUID, at: datetime) -> Incident:
        return cls(**vars(report), incident_id=incident_id, recorded_at=at)

    def facts(self) -> IncidentFacts:
        """The report as the rules read it."""
        return IncidentFacts(str(self.incident_id), self.severity, self.verified)


def reported_on(programme: Programme | None, report: Report, today: date) -> Programme:
    """The programme ``report`` is on, once nothing is wrong with the report.

    ``programme`` is None when monitoring does not know it. Every violation is
    named at once (422).
    """
    found = [] if programme else [Violation("programmeId", "not a programme monitoring knows")]
    field, on = report.dated
    if on > today:
        found.append(Violation(field, "is in the future"))
    found += refusals({"summary": report.summary}, Violation)
    if found or programme is None:
        invalid(found)
    return programme
