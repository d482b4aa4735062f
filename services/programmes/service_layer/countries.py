"""The countries read model, kept from ``taskforce.countries.v1``, and the risk it reports.

A human-rights risk that becomes high or very high (or rises within that
band) in a country is a finding on every programme still active there.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.programmes.context import ProgrammesContext
from services.programmes.domain.countries import Country
from services.programmes.domain.reviews import risk_opens_review, risk_trigger
from services.programmes.service_layer.commands import (
    ReceiveFinding,
    TakeDesignation,
    TakeProfile,
    TakeRiskAssessment,
)
from services.programmes.service_layer.reviews import receive_finding
from services.programmes.storage import countries
from services.programmes.storage import programmes as store
from shared.errors import NotFound
from shared.unit_of_work import UnitOfWork


async def take_risk_assessment(
    command: TakeRiskAssessment, uow: UnitOfWork, ctx: ProgrammesContext
) -> None:
    """The country's risk in the read model; a rise to high opens reviews where it matters."""
    applied = await countries.apply_assessment(
        uow.session,
        command.country_code,
        residual=command.residual,
        assessment_id=command.assessment_id,
        assessed_at=command.assessed_at,
        now=ctx.now(),
    )
    if not applied.newest:
        return  # an older assessment arriving late says nothing about the risk now
    if not risk_opens_review(command.residual, command.previous or applied.previous):
        return
    trigger = risk_trigger(
        command.origin,
        country_code=command.country_code,
        residual=command.residual,
        outcome=command.outcome,
    )
    for programme in await store.active_in_country(uow.session, command.country_code):
        finding = ReceiveFinding(programme.programme_id, programme.status, trigger)
        await receive_finding(finding, uow, ctx)


async def take_designation(
    command: TakeDesignation, uow: UnitOfWork, ctx: ProgrammesContext
) -> None:
    await countries.apply_designation(
        uow.session,
        command.country_code,
        designation=command.designation,
        decided_on=command.decided_on,
        now=ctx.now(),
    )


async def take_profile(command: TakeProfile, uow: UnitOfWork, ctx: ProgrammesContext) -> None:
    await countries.apply_profile(
        uow.session, command.country_code, revision=command.revision, now=ctx.now()
    )


async def list_countries(uow: UnitOfWork) -> Sequence[Country]:
    return await countries.all_countries(uow.session)


async def get_country(country_code: str, uow: UnitOfWork) -> Country:
    found = await countries.get(uow.session, country_code)
    if found is None:
        raise NotFound(f"No event about {country_code} has reached this service yet.")
    return found
