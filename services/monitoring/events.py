"""The events monitoring emits, built from its domain objects (pure: no I/O, no clock).

Every event carries the programme's routing fields (owner, participating
organisations, countries, themes), so notifications and programmes route it
without asking monitoring; every resource is linked by its absolute URL.
An event takes the fields its contract declares from the programme and the
object by name (:func:`shared.http.shaping.built_from`), never more.
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
from shared.http.shaping import built_from


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
    return built_from(
        IndicatorResultRecorded,
        programme,
        result,
        result_url=links.result(result.result_id),
        value=_number(result.value),
        previous_value=_number(previous),
        direction=indicator.direction,
    )


def evaluation_recorded(
    programme: Programme, evaluation: Evaluation, links: Links
) -> EvaluationRecorded:
    criteria = [CriterionRating(criterion=c, rating=r) for c, r in evaluation.ratings.items()]
    return built_from(
        EvaluationRecorded,
        programme,
        evaluation,
        evaluation_url=links.evaluation(evaluation.evaluation_id),
        criteria=tuple(criteria),
    )


def incident_reported(programme: Programme, incident: Incident, links: Links) -> IncidentReported:
    """The report's closed fields only: its summary stays in monitoring (need-to-know)."""
    return built_from(
        IncidentReported, programme, incident, incident_url=links.incident(incident.incident_id)
    )


def programme_flagged(programme: Programme, flag: Flag, links: Links) -> ProgrammeFlagged:
    return built_from(
        ProgrammeFlagged,
        programme,
        flag,
        flag.raised_by,
        flag_url=links.flag(flag.flag_id),
        recommends_disbursement_hold=flag.recommends_hold,
    )


def flag_resolved(programme: Programme, flag: Flag, links: Links) -> FlagResolved:
    """A flag was resolved by the review decision it carries."""
    if flag.resolved is None:
        raise ValueError(f"flag {flag.flag_id} is not resolved")
    return built_from(
        FlagResolved, programme, flag, flag.resolved, flag_url=links.flag(flag.flag_id)
    )
