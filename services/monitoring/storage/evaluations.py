"""Evaluations in the database; ratings are JSON, a rating per DAC criterion."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.monitoring.domain.evidence import Evaluation
from services.monitoring.storage.tables import EvaluationRow
from shared.contracts.vocabulary import DacCriterion, EvaluationKind, EvaluationRating
from shared.db import fetch_page
from shared.http.times import as_utc

#: Latest first: by completion, then by when monitoring recorded it.
_NEWEST_FIRST = (EvaluationRow.completed_on.desc(), EvaluationRow.recorded_at.desc())


def _evaluation(row: EvaluationRow) -> Evaluation:
    return Evaluation(
        evaluation_id=row.evaluation_id,
        programme_id=row.programme_id,
        kind=EvaluationKind(row.kind),
        independent=row.independent,
        completed_on=row.completed_on,
        overall_rating=EvaluationRating(row.overall_rating),
        ratings={DacCriterion(k): EvaluationRating(v) for k, v in row.ratings.items()},
        summary=row.summary,
        document_url=row.document_url,
        recorded_by=row.recorded_by,
        recorded_at=as_utc(row.recorded_at),
    )


async def add(session: AsyncSession, evaluation: Evaluation) -> None:
    session.add(
        EvaluationRow(
            evaluation_id=evaluation.evaluation_id,
            programme_id=evaluation.programme_id,
            kind=evaluation.kind.value,
            independent=evaluation.independent,
            completed_on=evaluation.completed_on,
            overall_rating=evaluation.overall_rating.value,
            ratings={c.value: r.value for c, r in evaluation.ratings.items()},
            summary=evaluation.summary,
            document_url=evaluation.document_url,
            recorded_by=evaluation.recorded_by,
            recorded_at=evaluation.recorded_at,
        )
    )
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
    session: AsyncSession, *, programme_id: str | None, offset: int, limit: int
) -> tuple[list[Evaluation], int]:
    """One page of evaluations, latest first, and how many there are in all."""
    query = select(EvaluationRow)
    if programme_id is not None:
        query = query.where(EvaluationRow.programme_id == programme_id)
    rows, total = await fetch_page(session, query, *_NEWEST_FIRST, offset=offset, limit=limit)
    return [_evaluation(r) for r in rows], total
