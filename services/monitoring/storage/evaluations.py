"""Evaluations in the database; ratings are JSON, a rating per DAC criterion."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.monitoring.domain.evidence import Evaluation
from services.monitoring.storage.columns import columns_of, fields_of, given
from services.monitoring.storage.tables import EvaluationRow
from shared.contracts.vocabulary import DacCriterion, EvaluationRating
from shared.db import fetch_page

#: Latest first: by completion, then by when monitoring recorded it.
_NEWEST_FIRST = (EvaluationRow.completed_on.desc(), EvaluationRow.recorded_at.desc())


def _evaluation(row: EvaluationRow) -> Evaluation:
    ratings = {DacCriterion(c): EvaluationRating(r) for c, r in row.ratings.items()}
    return Evaluation(**{**fields_of(Evaluation, row), "ratings": ratings})


async def add(session: AsyncSession, evaluation: Evaluation) -> None:
    ratings = {c.value: r.value for c, r in evaluation.ratings.items()}
    session.add(EvaluationRow(**{**columns_of(EvaluationRow, evaluation), "ratings": ratings}))
    await session.flush()


async def get(session: AsyncSession, evaluation_id: UUID) -> Evaluation | None:
    row = await session.get(EvaluationRow, evaluation_id)
    return None if row is None else _evaluation(row)


async def latest_of(session: AsyncSession, programme_id: str) -> Evaluation | None:
    """The programme's most recently completed evaluation, if any."""
    row = await session.scalar(
        select(EvaluationRow)
        .where(EvaluationRow.programme_id == programme_id)
        .order_by(*_NEWEST_FIRST)
        .limit(1)
    )
    return None if row is None else _evaluation(row)


async def page(
    session: AsyncSession, programme_id: str | None, offset: int, limit: int
) -> tuple[list[Evaluation], int]:
    """One page of evaluations, latest first, and how many there are in all."""
    query = select(EvaluationRow).filter_by(**given(programme_id=programme_id))
    rows, total = await fetch_page(session, query, *_NEWEST_FIRST, offset=offset, limit=limit)
    return [_evaluation(r) for r in rows], total
