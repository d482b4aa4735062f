"""Indicator results in the database: the current version per result, and every version.

``indicator_result`` holds each result's current values (one per indicator and
period, a unique key); ``indicator_result_revision`` holds every version,
the current one included. Values are decimal text, never floats; a row's
columns are named as the result's and the version's fields.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.monitoring.domain.results import IndicatorResult, ResultVersion
from services.monitoring.storage.columns import columns_of, fields_of, given
from services.monitoring.storage.tables import IndicatorResultRevisionRow, IndicatorResultRow
from shared.db import fetch_page


def _result(row: IndicatorResultRow) -> IndicatorResult:
    current = ResultVersion(**fields_of(ResultVersion, row))
    return IndicatorResult(**{**fields_of(IndicatorResult, row), "current": current})


async def get(
    session: AsyncSession, result_id: UUID, *, fresh: bool = False
) -> IndicatorResult | None:
    """The result; ``fresh`` reads it again from the database, not from the session."""
    row = await session.get(IndicatorResultRow, result_id, populate_existing=fresh)
    return None if row is None else _result(row)


async def of_indicator(
    session: AsyncSession, programme_id: str, indicator_id: str
) -> list[IndicatorResult]:
    """Every current result of the indicator, one per period (in no particular order)."""
    rows = await session.scalars(
        _RESULTS_OF_INDICATOR, {"programme_id": programme_id, "indicator_id": indicator_id}
    )
    return [_result(r) for r in rows]


#: Built once: a statement built per request costs its construction and cache key each time.
_RESULTS_OF_INDICATOR = select(IndicatorResultRow).where(
    IndicatorResultRow.programme_id == bindparam("programme_id"),
    IndicatorResultRow.indicator_id == bindparam("indicator_id"),
)


async def of_programme(session: AsyncSession, programme_id: str) -> list[IndicatorResult]:
    """Every current result of the programme's indicators."""
    rows = await session.scalars(
        select(IndicatorResultRow).where(IndicatorResultRow.programme_id == programme_id)
    )
    return [_result(r) for r in rows]


async def page(
    session: AsyncSession,
    programme_id: str | None,
    indicator_id: str | None,
    offset: int,
    limit: int,
) -> tuple[list[IndicatorResult], int]:
    """One page of results, latest period first, and how many there are in all."""
    filters = given(programme_id=programme_id, indicator_id=indicator_id)
    query = select(IndicatorResultRow).filter_by(**filters)
    rows, total = await fetch_page(
        session,
        query,
        IndicatorResultRow.period_start.desc(),
        IndicatorResultRow.indicator_id,
        offset=offset,
        limit=limit,
    )
    return [_result(r) for r in rows], total


async def history(session: AsyncSession, result_id: UUID) -> tuple[ResultVersion, ...]:
    """Every version of the result, oldest first."""
    rows = await session.scalars(
        select(IndicatorResultRevisionRow)
        .where(IndicatorResultRevisionRow.result_id == result_id)
        .order_by(IndicatorResultRevisionRow.revision)
    )
    return tuple(ResultVersion(**fields_of(ResultVersion, r)) for r in rows)


async def add(session: AsyncSession, result: IndicatorResult) -> None:
    """Store a result just reported, its first version in its history."""
    row = IndicatorResultRow(**columns_of(IndicatorResultRow, result))
    session.add(row)
    await _keep_current(session, row, result.current)


async def correct(session: AsyncSession, result: IndicatorResult) -> None:
    """Store a corrected result: its new current version, kept in its history beside the rest."""
    row = await session.get(IndicatorResultRow, result.result_id)
    if row is None:
        raise LookupError(f"no indicator result {result.result_id} to correct")
    await _keep_current(session, row, result.current)


async def _keep_current(
    session: AsyncSession, row: IndicatorResultRow, version: ResultVersion
) -> None:
    for name, value in columns_of(IndicatorResultRow, version).items():
        setattr(row, name, value)
    revision = columns_of(IndicatorResultRevisionRow, version)
    session.add(IndicatorResultRevisionRow(result_id=row.result_id, **revision))
    await session.flush()
