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

The consumer records each event in the inbox in the same transaction, and flag
ids derive from rule and evidence, so neither redelivery nor replay flags twice.
"""

from __future__ import annotations

from services.monitoring.context import MonitoringContext
from services.monitoring.domain.rules import RiskFacts
from services.monitoring.flags import raise_flags, resolve_by_review
from services.monitoring.storage import programmes
from shared.consumer import EventConsumer
from shared.contracts.countries import HumanRightsRiskAssessed
from shared.contracts.programmes import (
    ProgrammeApproved,
    ProgrammeRegistered,
    ProgrammeStatusChanged,
    ResultsFrameworkChanged,
    ReviewDecided,
)
from shared.contracts.vocabulary import ActivityStatus, EventRef
from shared.events.envelope import CloudEvent
from shared.unit_of_work import UnitOfWork


def register_handlers(consumer: EventConsumer, ctx: MonitoringContext) -> None:
    @consumer.on(ProgrammeRegistered)
    async def on_registered(uow: UnitOfWork, event: CloudEvent, data: object) -> None:
        assert isinstance(data, ProgrammeRegistered)
        await programmes.apply(uow.session, data, now=ctx.now(), status=data.status)

    @consumer.on(ProgrammeStatusChanged)
    async def on_status_changed(uow: UnitOfWork, event: CloudEvent, data: object) -> None:
        assert isinstance(data, ProgrammeStatusChanged)
        await programmes.apply(uow.session, data, now=ctx.now(), status=data.status)

    @consumer.on(ProgrammeApproved)
    async def on_approved(uow: UnitOfWork, event: CloudEvent, data: object) -> None:
        assert isinstance(data, ProgrammeApproved)
        row = await programmes.apply(uow.session, data, now=ctx.now())
        if row.status is None or row.status == ActivityStatus.PIPELINE:
            row.status = int(ActivityStatus.IMPLEMENTATION)  # approval starts implementation
        await programmes.replace_plan(
            uow.session, row, data.results_framework_revision, data.indicators
        )

    @consumer.on(ResultsFrameworkChanged)
    async def on_framework_changed(uow: UnitOfWork, event: CloudEvent, data: object) -> None:
        assert isinstance(data, ResultsFrameworkChanged)
        row = await programmes.apply(uow.session, data, now=ctx.now())
        await programmes.replace_plan(uow.session, row, data.revision, data.indicators)

    @consumer.on(ReviewDecided)
    async def on_review_decided(uow: UnitOfWork, event: CloudEvent, data: object) -> None:
        assert isinstance(data, ReviewDecided)
        await programmes.apply(uow.session, data, now=ctx.now())
        programme = await programmes.get(uow.session, data.programme_id)
        assert programme is not None
        await resolve_by_review(
            uow,
            ctx,
            programme,
            data.flag_ids,
            review_id=data.review_id,
            decision=data.decision,
        )

    @consumer.on(HumanRightsRiskAssessed)
    async def on_risk_assessed(uow: UnitOfWork, event: CloudEvent, data: object) -> None:
        assert isinstance(data, HumanRightsRiskAssessed)
        applied = await programmes.apply_risk(
            uow.session,
            data.country_code,
            residual=data.residual_rating,
            assessment_id=data.assessment_id,
            assessed_at=data.assessed_at,
        )
        if not applied.newest:
            return  # an older assessment arriving late says nothing about the risk now
        facts = RiskFacts(
            str(data.assessment_id),
            data.residual_rating,
            data.previous_residual_rating or applied.previous,
        )
        verdicts = ctx.rules.risk(facts)
        if not verdicts:
            return
        ref = EventRef(event_id=event.id, event_type=event.type, source=event.source)
        url = str(data.assessment_url)
        for programme in await programmes.in_country(uow.session, data.country_code):
            if programme.active:
                await raise_flags(
                    uow, ctx, programme, ctx.rules.risk, verdicts, url_of=lambda _: url, event=ref
                )
