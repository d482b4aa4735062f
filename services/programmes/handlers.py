"""What the programmes service does with other services' events.

- monitoring ``programme-flagged`` (any category): a review opens on the
  programme, or the flag joins the review already open;
- countries ``human-rights-risk-assessed``: the country's risk in the read
  model; when the residual risk becomes high or very high (or rises within
  that band), a review opens on every programme with that recipient country in
  an active status (implementation, finalisation, suspended);
- countries ``focus-designation-changed`` and ``country-profile-updated``: the
  read model.

Each handler turns the event into a command and calls one use case. The
consumer runs it and records the event in the inbox in one transaction;
findings are also remembered per programme by ``(source, id)``, so a replay of
the topics never opens a second review.
"""

from __future__ import annotations

from typing import Final

from services.programmes.context import ProgrammesContext
from services.programmes.domain.reviews import Origin
from services.programmes.service_layer.commands import (
    TakeDesignation,
    TakeFlag,
    TakeProfile,
    TakeRiskAssessment,
)
from services.programmes.service_layer.countries import (
    take_designation,
    take_profile,
    take_risk_assessment,
)
from services.programmes.service_layer.reviews import take_flag
from shared.consumer import PermanentError
from shared.contracts.countries import (
    CountryProfileUpdated,
    FocusDesignationChanged,
    HumanRightsRiskAssessed,
)
from shared.contracts.monitoring import ProgrammeFlagged
from shared.errors import NotFound
from shared.events.envelope import CloudEvent
from shared.handlers import On
from shared.unit_of_work import UnitOfWork


def _origin(event: CloudEvent, ctx: ProgrammesContext) -> Origin:
    """The event as the origin of a finding, received now."""
    return Origin(event.source, event.id, event.type, ctx.now())


async def on_programme_flagged(
    data: ProgrammeFlagged, event: CloudEvent, uow: UnitOfWork, ctx: ProgrammesContext
) -> None:
    command = TakeFlag(
        programme_id=data.programme_id,
        flag_id=data.flag_id,
        category=data.category.value,
        severity=data.severity,
        recommends_hold=data.recommends_disbursement_hold,
        origin=_origin(event, ctx),
    )
    try:
        await take_flag(command, uow, ctx)
    except NotFound as unknown:
        # Retrying will not make an unknown programme appear: park it for operators.
        raise PermanentError(unknown.detail) from unknown


async def on_risk_assessed(
    data: HumanRightsRiskAssessed, event: CloudEvent, uow: UnitOfWork, ctx: ProgrammesContext
) -> None:
    command = TakeRiskAssessment(
        country_code=data.country_code,
        residual=data.residual_rating,
        previous=data.previous_residual_rating,
        outcome=data.outcome,
        assessment_id=data.assessment_id,
        assessed_at=data.assessed_at,
        origin=_origin(event, ctx),
    )
    await take_risk_assessment(command, uow, ctx)


async def on_designation_changed(
    data: FocusDesignationChanged, event: CloudEvent, uow: UnitOfWork, ctx: ProgrammesContext
) -> None:
    command = TakeDesignation(data.country_code, data.designation, data.decided_on)
    await take_designation(command, uow, ctx)


async def on_profile_updated(
    data: CountryProfileUpdated, event: CloudEvent, uow: UnitOfWork, ctx: ProgrammesContext
) -> None:
    await take_profile(TakeProfile(data.country_code, data.revision), uow, ctx)


HANDLERS: Final = (
    On(ProgrammeFlagged, on_programme_flagged),
    On(HumanRightsRiskAssessed, on_risk_assessed),
    On(FocusDesignationChanged, on_designation_changed),
    On(CountryProfileUpdated, on_profile_updated),
)
