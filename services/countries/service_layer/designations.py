"""Focus designation: recording decisions, reading them, ranking the focus countries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from uuid import UUID, uuid4

from sqlalchemy.ext.asyncio import AsyncSession

from services.countries import events
from services.countries.context import CountriesContext
from services.countries.domain.designations import (
    Decision,
    RankedDecision,
    Weights,
    check_decision,
    check_scores,
    check_weights,
    rank,
    weighted_score,
)
from services.countries.service_layer.commands import DecideDesignation, RankFocusCountries, Window
from services.countries.service_layer.rights import deciding_organisation
from services.countries.storage import designations as store
from services.countries.storage import locks
from shared.contracts.vocabulary import Designation
from shared.errors import NotFound, Violation, invalid, raise_if
from shared.unit_of_work import UnitOfWork

#: The query parameters that try out weights, named when together they weigh nothing.
WEIGHT_PARAMETERS: Final = (
    "transitCountryWeight",
    "countryOfOriginWeight",
    "bilateralScopeWeight",
    "addedValueOverEuWeight",
)


@dataclass(frozen=True)
class Ranking:
    """The current decisions in ranking order, and the weights they were ranked with."""

    weights: Weights
    ranked: list[RankedDecision]


async def decide_designation(
    command: DecideDesignation, uow: UnitOfWork, ctx: CountriesContext
) -> Decision:
    """Record a decision as the country's current one and emit what it did.

    Weighted with the configured weights; the designation it replaces is its
    previous one (``none`` when the country had no decision). The country's lock
    (``locks.lock_country``) comes first: a concurrent decision waits, then reads
    this one as the current one.
    """
    weights = ctx.weights()
    decided_by = deciding_organisation(command.by, command.decided_by)
    await locks.lock_country(uow.session, command.country_code)
    current = await store.current_decision(uow.session, command.country_code)
    raise_if(
        check_scores(command.scores)
        + check_decision(
            designation=command.designation,
            decided_on=command.decided_on,
            review_date=command.review_date,
            today=ctx.today(),
            current=current,
        )
    )
    decision = Decision(
        id=uuid4(),
        country_code=command.country_code,
        designation=command.designation,
        previous_designation=current.designation if current else Designation.NONE,
        decided_on=command.decided_on,
        decided_by=decided_by,
        scores=command.scores,
        weights=weights,
        weighted_score=weighted_score(command.scores, weights),
        review_date=command.review_date,
        summary=command.summary,
        recorded_at=ctx.now(),
        recorded_by=command.by,
    )
    await store.add_decision(uow.session, decision)
    await uow.emit(events.designation_decided(decision, ctx.links))
    return decision


async def designation_decisions(
    country_code: str, window: Window, session: AsyncSession
) -> tuple[list[Decision], int]:
    """One page of the country's decisions, newest (the current one) first, and the total."""
    return await store.decisions_of(session, country_code, offset=window.offset, limit=window.limit)


async def designation_decision(
    country_code: str, decision_id: UUID, session: AsyncSession
) -> Decision:
    """The decision, if the country has it (else :class:`NotFound`)."""
    decision = await store.find_decision(session, country_code, decision_id)
    if decision is None:
        raise NotFound(f"{country_code} has no designation decision {decision_id}.")
    return decision


async def rank_focus_countries(
    query: RankFocusCountries, session: AsyncSession, ctx: CountriesContext
) -> Ranking:
    """The current decisions of the designation asked for (focus and watch when none), ranked.

    Weights given in the query replace the configured ones for this ranking
    only; together they must weigh something (else each parameter is named).
    """
    weights = Weights.model_validate({**ctx.weights().model_dump(), **query.weights})
    if check_weights(weights):
        invalid(
            [
                Violation(name, "At least one criterion must have a weight above 0.", "query")
                for name in WEIGHT_PARAMETERS
            ]
        )
    wanted = {query.designation} if query.designation else {Designation.FOCUS, Designation.WATCH}
    current = await store.current_decisions(session)
    return Ranking(weights, rank((d for d in current.values() if d.designation in wanted), weights))
