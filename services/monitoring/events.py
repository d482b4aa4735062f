"""The events monitoring emits, built from its domain objects (pure: no I/O, no clock).

Every event carries the programme's routing fields (owner, participating
organisations, countries, themes), so notifications and programmes route it
without asking monitoring; every resource is linked by its absolute URL.
Indicator values travel as JSON numbers; monitoring keeps them exact.
"""

from __future__ import annotations

from decimal import Decimal

from services.monitoring.domain.evidence import Evaluation, Incident
from services.monitoring.domain.flags import Flag
from services.monitoring.domain.plans import Indicator
from services.monitoring.domain.programmes import Programme
from services.monitoring.domain.results import IndicatorResult
from services.monitoring.links import Links
from shared.contracts.monitoring import (
    CriterionRating,
    EvaluationRecorded,
    FlagResolved,
    IncidentReported,
    IndicatorResultRecorded,
    ProgrammeFlagged,
)
from shared.contracts.vocabulary import FlagResolution


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def indicator_result_recorded(
    programme: Programme,
    indicator: Indicator,
    result: IndicatorResult,
    previous: Decimal | None,
    links: Links,
) -> IndicatorResultRecorded:
    """A result was recorded or corrected; ``previous`` is the value it follows on."""
    return IndicatorResultRecorded(
        **programme.routing(),
        result_id=result.result_id,
        result_url=links.result(result.result_id),
        indicator_id=indicator.indicator_id,
        period_start=result.period_start,
        period_end=result.period_end,
        value=_number(result.value),
        previous_value=_number(previous),
        direction=indicator.direction,
        revision=result.revision,
    )


def evaluation_recorded(
    programme: Programme, evaluation: Evaluation, links: Links
) -> EvaluationRecorded:
    return EvaluationRecorded(
        **programme.routing(),
        evaluation_id=evaluation.evaluation_id,
        evaluation_url=links.evaluation(evaluation.evaluation_id),
        kind=evaluation.kind,
        independent=evaluation.independent,
        completed_on=evaluation.completed_on,
        overall_rating=evaluation.overall_rating,
        criteria=tuple(
            CriterionRating(criterion=c, rating=r) for c, r in evaluation.ratings.items()
        ),
    )


def incident_reported(programme: Programme, incident: Incident, links: Links) -> IncidentReported:
    return IncidentReported(
        **programme.routing(),
        incident_id=incident.incident_id,
        incident_url=links.incident(incident.incident_id),
        category=incident.category,
        severity=incident.severity,
        country_code=incident.country_code,
        occurred_on=incident.occurred_on,
        verified=incident.verified,
        reported_by=incident.reported_by,
    )


def programme_flagged(programme: Programme, flag: Flag, links: Links) -> ProgrammeFlagged:
    return ProgrammeFlagged(
        **programme.routing(),
        flag_id=flag.flag_id,
        flag_url=links.flag(flag.flag_id),
        category=flag.category,
        severity=flag.severity,
        rule_id=flag.rule_id,
        rule_version=flag.rule_version,
        evidence=flag.evidence,
        recommends_disbursement_hold=flag.recommends_hold,
    )


def flag_resolved(programme: Programme, flag: Flag, links: Links) -> FlagResolved:
    """A flag was resolved by the review decision it carries."""
    if flag.review_id is None or flag.decision is None:
        raise ValueError(f"flag {flag.flag_id} was not resolved by a review")
    return FlagResolved(
        **programme.routing(),
        flag_id=flag.flag_id,
        flag_url=links.flag(flag.flag_id),
        category=flag.category,
        resolution=FlagResolution.REVIEW_DECIDED,
        review_id=flag.review_id,
        decision=flag.decision,
    )
