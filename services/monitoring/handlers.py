"""What the monitoring service does with other services' events.

- programmes ``programme-registered`` / ``programme-status-changed``: the
  programme's routing fields and status in the read model;
- ``programme-approved`` / ``results-framework-changed``: the monitoring plan
  (indicators, baselines, targets per period, measure, direction), replaced
  whole when the revision is at least the one held;
- ``review-decided``: the open flags it names are resolved (``flag-resolved``);
- countries ``human-rights-risk-assessed``: the country's risk; when the
  residual risk becomes high or very high, the risk rule flags every active
  programme with that recipient country.

Each handler turns the event into a command and calls one use case. The
consumer records each event in the inbox in the same transaction, and flag ids
derive from rule and evidence, so neither redelivery nor replay flags twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Final

from services.monitoring.context import MonitoringContext
from services.monitoring.domain.country_risk import CountryRisk
from services.monitoring.domain.plans import Indicator, Target
from services.monitoring.domain.programmes import Announcement
from services.monitoring.service_layer.commands import (
    TakePlan,
    TakeReviewDecision,
    TakeRiskAssessment,
)
from services.monitoring.service_layer.countries import take_risk_assessment
from services.monitoring.service_layer.flags import take_review_decision
from services.monitoring.service_layer.programmes import note_programme, take_plan
from shared.contracts.countries import HumanRightsRiskAssessed
from shared.contracts.programmes import (
    IndicatorDefinition,
    ProgrammeApproved,
    ProgrammeEvent,
    ProgrammeRegistered,
    ProgrammeStatusChanged,
    ResultsFrameworkChanged,
    ReviewDecided,
)
from shared.contracts.vocabulary import ActivityStatus, EventRef
from shared.events.envelope import CloudEvent
from shared.handlers import On
from shared.unit_of_work import UnitOfWork


def _announcement(data: ProgrammeEvent, status: ActivityStatus | None = None) -> Announcement:
    return Announcement(
        programme_id=data.programme_id,
        owning_organisation=data.owning_organisation,
        partner_organisations=tuple(data.partner_organisations),
        country_codes=tuple(data.country_codes),
        themes=tuple(t.value for t in data.themes),
        status=status,
    )


def _exact(value: float | None) -> Decimal | None:
    """An event's JSON number as the decimal it was written as (``0.1``, not its binary value)."""
    return None if value is None else Decimal(str(value))


def _plan(indicators: Sequence[IndicatorDefinition]) -> tuple[Indicator, ...]:
    return tuple(
        Indicator(
            indicator_id=item.indicator_id,
            title=item.title,
            measure=item.measure,
            direction=item.direction,
            baseline=_exact(item.baseline),
            targets=tuple(
                Target(t.period_start, t.period_end, _exact(t.value)) for t in item.targets
            ),
        )
        for item in indicators
    )


async def on_registered(
    data: ProgrammeRegistered, event: CloudEvent, uow: UnitOfWork, ctx: MonitoringContext
) -> None:
    await note_programme(_announcement(data, data.status), uow, ctx)


async def on_status_changed(
    data: ProgrammeStatusChanged, event: CloudEvent, uow: UnitOfWork, ctx: MonitoringContext
) -> None:
    await note_programme(_announcement(data, data.status), uow, ctx)


async def on_approved(
    data: ProgrammeApproved, event: CloudEvent, uow: UnitOfWork, ctx: MonitoringContext
) -> None:
    plan = _plan(data.indicators)
    command = TakePlan(_announcement(data), data.results_framework_revision, plan, approval=True)
    await take_plan(command, uow, ctx)


async def on_framework_changed(
    data: ResultsFrameworkChanged, event: CloudEvent, uow: UnitOfWork, ctx: MonitoringContext
) -> None:
    plan = _plan(data.indicators)
    await take_plan(TakePlan(_announcement(data), data.revision, plan, approval=False), uow, ctx)


async def on_review_decided(
    data: ReviewDecided, event: CloudEvent, uow: UnitOfWork, ctx: MonitoringContext
) -> None:
    command = TakeReviewDecision(
        _announcement(data), data.review_id, tuple(data.flag_ids), data.decision
    )
    await take_review_decision(command, uow, ctx)


async def on_risk_assessed(
    data: HumanRightsRiskAssessed, event: CloudEvent, uow: UnitOfWork, ctx: MonitoringContext
) -> None:
    risk = CountryRisk(
        data.country_code, data.residual_rating, data.assessment_id, data.assessed_at
    )
    command = TakeRiskAssessment(
        risk=risk,
        previous=data.previous_residual_rating,
        assessment_url=str(data.assessment_url),
        event=EventRef(event_id=event.id, event_type=event.type, source=event.source),
    )
    await take_risk_assessment(command, uow, ctx)


HANDLERS: Final = (
    On(ProgrammeRegistered, on_registered),
    On(ProgrammeStatusChanged, on_status_changed),
    On(ProgrammeApproved, on_approved),
    On(ResultsFrameworkChanged, on_framework_changed),
    On(ReviewDecided, on_review_decided),
    On(HumanRightsRiskAssessed, on_risk_assessed),
)
