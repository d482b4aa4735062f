"""What the programmes service does with other services' events.

- monitoring ``programme-flagged`` (any category): a review opens on the
  programme, or the flag joins the review already open;
- countries ``human-rights-risk-assessed``: the country's risk in the read
  model; when the residual risk becomes high or very high (or rises within
  that band), a review opens on every programme with that recipient country in
  an active status (implementation, finalisation, suspended);
- countries ``focus-designation-changed`` and ``country-profile-updated``: the
  read model.

The consumer runs each handler and records the event in the inbox in one
transaction; findings are also remembered per programme by ``(source, id)``,
so a replay of the topics never opens a second review.
"""

from __future__ import annotations

from services.programmes.commands.reviews import receive_finding
from services.programmes.context import ProgrammesContext
from services.programmes.domain.reviews import flag_trigger, risk_opens_review, risk_trigger
from services.programmes.storage import countries
from services.programmes.storage import programmes as store
from shared.consumer import EventConsumer, PermanentError
from shared.contracts.countries import (
    CountryProfileUpdated,
    FocusDesignationChanged,
    HumanRightsRiskAssessed,
)
from shared.contracts.monitoring import ProgrammeFlagged
from shared.events.envelope import CloudEvent
from shared.unit_of_work import UnitOfWork


def register_handlers(consumer: EventConsumer, ctx: ProgrammesContext) -> None:
    """Subscribe the service's handlers; ``ctx`` gives them configuration and a clock."""

    @consumer.on(ProgrammeFlagged)
    async def on_programme_flagged(uow: UnitOfWork, event: CloudEvent, data: object) -> None:
        assert isinstance(data, ProgrammeFlagged)
        status = await store.status_of(uow.session, data.programme_id, for_update=True)
        if status is None:
            # Retrying will not make an unknown programme appear: park it for operators.
            raise PermanentError(f"There is no programme {data.programme_id}.")
        trigger = flag_trigger(
            source=event.source,
            event_id=event.id,
            event_type=event.type,
            received_at=ctx.now(),
            flag_id=data.flag_id,
            category=data.category.value,
            severity=data.severity,
            recommends_hold=data.recommends_disbursement_hold,
        )
        await receive_finding(uow, ctx, data.programme_id, status, trigger)

    @consumer.on(HumanRightsRiskAssessed)
    async def on_risk_assessed(uow: UnitOfWork, event: CloudEvent, data: object) -> None:
        assert isinstance(data, HumanRightsRiskAssessed)
        applied = await countries.apply_assessment(
            uow.session,
            data.country_code,
            residual=data.residual_rating,
            assessment_id=data.assessment_id,
            assessed_at=data.assessed_at,
            now=ctx.now(),
        )
        if not applied.newest:
            return  # an older assessment arriving late says nothing about the risk now
        previous = data.previous_residual_rating or applied.previous
        if not risk_opens_review(data.residual_rating, previous):
            return
        trigger = risk_trigger(
            source=event.source,
            event_id=event.id,
            event_type=event.type,
            received_at=ctx.now(),
            country_code=data.country_code,
            residual=data.residual_rating,
            outcome=data.outcome,
        )
        for programme in await store.active_in_country(uow.session, data.country_code):
            await receive_finding(uow, ctx, programme.programme_id, programme.status, trigger)

    @consumer.on(FocusDesignationChanged)
    async def on_designation_changed(uow: UnitOfWork, event: CloudEvent, data: object) -> None:
        assert isinstance(data, FocusDesignationChanged)
        await countries.apply_designation(
            uow.session,
            data.country_code,
            designation=data.designation,
            decided_on=data.decided_on,
            now=ctx.now(),
        )

    @consumer.on(CountryProfileUpdated)
    async def on_profile_updated(uow: UnitOfWork, event: CloudEvent, data: object) -> None:
        assert isinstance(data, CountryProfileUpdated)
        await countries.apply_profile(
            uow.session,
            data.country_code,
            revision=data.revision,
            now=ctx.now(),
        )
