"""The results framework in the database: indicators and their targets, replaced as a whole."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.programmes.domain.results import Baseline, Indicator, ResultType, Target
from services.programmes.storage.tables import IndicatorRow, IndicatorTargetRow
from shared.contracts.vocabulary import IndicatorMeasure


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


async def indicators(session: AsyncSession, programme_id: str) -> list[Indicator]:
    rows = await session.scalars(
        select(IndicatorRow)
        .where(IndicatorRow.programme_id == programme_id)
        .order_by(IndicatorRow.position)
    )
    return [
        Indicator(
            indicator_id=r.indicator_id,
            title=r.title,
            description=r.description,
            result_type=ResultType(r.result_type),
            measure=IndicatorMeasure(r.measure),
            ascending=r.ascending,
            baseline=(
                None
                if r.baseline_year is None
                else Baseline(r.baseline_year, _decimal(r.baseline_value))
            ),
            targets=tuple(
                Target(t.period_start, t.period_end, _decimal(t.value)) for t in r.targets
            ),
        )
        for r in rows
    ]


async def replace_indicators(
    session: AsyncSession, programme_id: str, items: Sequence[Indicator]
) -> None:
    await session.execute(
        delete(IndicatorTargetRow).where(IndicatorTargetRow.programme_id == programme_id)
    )
    await session.execute(delete(IndicatorRow).where(IndicatorRow.programme_id == programme_id))
    await session.flush()
    for position, indicator in enumerate(items):
        baseline = indicator.baseline
        session.add(
            IndicatorRow(
                programme_id=programme_id,
                indicator_id=indicator.indicator_id,
                position=position,
                title=indicator.title,
                description=indicator.description,
                result_type=int(indicator.result_type),
                measure=int(indicator.measure),
                ascending=indicator.ascending,
                baseline_year=baseline.year if baseline else None,
                baseline_value=_text(baseline.value) if baseline else None,
                targets=[
                    IndicatorTargetRow(
                        programme_id=programme_id,
                        position=i,
                        period_start=t.period_start,
                        period_end=t.period_end,
                        value=_text(t.value),
                    )
                    for i, t in enumerate(indicator.targets)
                ],
            )
        )
    await session.flush()
