"""Designation decisions, on a session of the caller's unit of work."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.countries.domain.designations import CriterionScore, Decision, Weights
from services.countries.storage.tables import DecisionRow, wire
from shared.contracts.vocabulary import Designation
from shared.db import fetch_page
from shared.http.models import from_storage
from shared.http.times import as_utc


def _decision(row: DecisionRow) -> Decision:
    return Decision(
        id=UUID(row.id),
        country_code=row.country_code,
        designation=Designation(row.designation),
        previous_designation=Designation(row.previous_designation),
        decided_on=row.decided_on,
        decided_by=row.decided_by,
        scores=tuple(from_storage(CriterionScore, s) for s in row.scores),
        weights=from_storage(Weights, row.weights),
        weighted_score=row.weighted_score,
        review_date=row.review_date,
        summary=row.summary,
        recorded_at=as_utc(row.recorded_at),
        recorded_by=row.recorded_by,
        current=row.current,
    )


async def current_decision(session: AsyncSession, country_code: str) -> Decision | None:
    row = await session.scalar(
        select(DecisionRow).where(
            DecisionRow.country_code == country_code, DecisionRow.current.is_(True)
        )
    )
    return _decision(row) if row is not None else None


async def current_decisions(session: AsyncSession) -> dict[str, Decision]:
    rows = await session.scalars(select(DecisionRow).where(DecisionRow.current.is_(True)))
    return {row.country_code: _decision(row) for row in rows}


async def decisions_of(
    session: AsyncSession, country_code: str, *, offset: int, limit: int
) -> tuple[list[Decision], int]:
    """Newest decision first."""
    query = select(DecisionRow).where(DecisionRow.country_code == country_code)
    rows, total = await fetch_page(
        session, query, DecisionRow.number.desc(), offset=offset, limit=limit
    )
    return [_decision(row) for row in rows], total


async def find_decision(
    session: AsyncSession, country_code: str, decision_id: UUID
) -> Decision | None:
    row = await session.get(DecisionRow, str(decision_id))
    return _decision(row) if row is not None and row.country_code == country_code else None


async def add_decision(session: AsyncSession, decision: Decision) -> None:
    """Store a decision as the country's current one; the previous one stops being current."""
    last = await session.scalar(
        select(func.max(DecisionRow.number)).where(
            DecisionRow.country_code == decision.country_code
        )
    )
    await session.execute(
        update(DecisionRow)
        .where(DecisionRow.country_code == decision.country_code, DecisionRow.current.is_(True))
        .values(current=False)
    )
    session.add(
        DecisionRow(
            id=str(decision.id),
            country_code=decision.country_code,
            number=int(last or 0) + 1,
            designation=decision.designation.value,
            previous_designation=decision.previous_designation.value,
            decided_on=decision.decided_on,
            decided_by=decision.decided_by,
            scores=[wire(score) for score in decision.scores],
            weights=wire(decision.weights),
            weighted_score=decision.weighted_score,
            review_date=decision.review_date,
            summary=decision.summary,
            recorded_at=decision.recorded_at,
            recorded_by=decision.recorded_by,
            current=True,
        )
    )
