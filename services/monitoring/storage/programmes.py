"""The programmes read model and the monitoring plans, kept from ``taskforce.programmes.v1``.

Functions take the session and answer domain objects: a
:class:`~services.monitoring.domain.programmes.Programme`, a plan as its
:class:`~services.monitoring.domain.plans.Indicator` list. Values are decimal
text in the database, exact decimals in the domain.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import and_, bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.monitoring.domain.plans import Indicator, Target
from services.monitoring.domain.programmes import Programme
from services.monitoring.storage.tables import MonitoredProgrammeRow, PlanIndicatorRow
from shared.contracts.vocabulary import ActivityStatus, IndicatorMeasure


def _programme(row: MonitoredProgrammeRow) -> Programme:
    return Programme(
        programme_id=row.programme_id,
        owning_organisation=row.owning_organisation,
        partner_organisations=tuple(row.partner_organisations),
        country_codes=tuple(row.country_codes),
        themes=tuple(row.themes),
        status=None if row.status is None else ActivityStatus(row.status),
        plan_revision=row.plan_revision,
    )


async def get(session: AsyncSession, programme_id: str) -> Programme | None:
    row = await session.get(MonitoredProgrammeRow, programme_id)
    return None if row is None else _programme(row)


async def save(session: AsyncSession, programme: Programme, *, now: datetime) -> None:
    """Store the programme as it now is; ``now`` is when monitoring last heard of it."""
    row = await session.get(MonitoredProgrammeRow, programme.programme_id)
    if row is None:
        row = MonitoredProgrammeRow(programme_id=programme.programme_id)
        session.add(row)
    row.owning_organisation = programme.owning_organisation
    row.partner_organisations = list(programme.partner_organisations)
    row.country_codes = list(programme.country_codes)
    row.themes = list(programme.themes)
    row.status = None if programme.status is None else int(programme.status)
    row.plan_revision = programme.plan_revision
    row.updated_at = now
    await session.flush()


async def all_programmes(session: AsyncSession) -> list[Programme]:
    rows = await session.scalars(
        select(MonitoredProgrammeRow).order_by(MonitoredProgrammeRow.programme_id)
    )
    return [_programme(r) for r in rows]


async def in_country(session: AsyncSession, country_code: str) -> list[Programme]:
    """Programmes with ``country_code`` among their recipient countries, by id."""
    return [p for p in await all_programmes(session) if country_code in p.country_codes]


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


async def replace_plan(
    session: AsyncSession, programme_id: str, indicators: Sequence[Indicator]
) -> None:
    """Make ``indicators`` the programme's plan, in their order, replacing the one held."""
    await session.execute(
        delete(PlanIndicatorRow).where(PlanIndicatorRow.programme_id == programme_id)
    )
    for position, item in enumerate(indicators):
        session.add(
            PlanIndicatorRow(
                programme_id=programme_id,
                indicator_id=item.indicator_id,
                position=position,
                title=item.title,
                measure=int(item.measure),
                direction=item.direction,
                baseline=item.baseline,
                targets=[
                    {
                        "periodStart": t.period_start.isoformat(),
                        "periodEnd": t.period_end.isoformat(),
                        "value": _text(t.value),
                    }
                    for t in item.targets
                ],
            )
        )
    await session.flush()


def _indicator(row: PlanIndicatorRow) -> Indicator:
    return Indicator(
        indicator_id=row.indicator_id,
        title=row.title,
        measure=IndicatorMeasure(row.measure),
        direction=row.direction,
        baseline=row.baseline,
        targets=tuple(
            Target(
                date.fromisoformat(t["periodStart"]),
                date.fromisoformat(t["periodEnd"]),
                None if t["value"] is None else Decimal(t["value"]),
            )
            for t in row.targets
        ),
    )


async def indicator(
    session: AsyncSession, programme_id: str, indicator_id: str, *, for_update: bool = False
) -> Indicator | None:
    """One indicator of the programme's plan: a request about one indicator parses only its row.

    ``for_update`` locks the row for the rest of the transaction (and reads it
    afresh): that lock orders everything decided on the indicator's results
    (see ``services.monitoring.service_layer.results``). SQLite ignores it.
    """
    row = await session.get(
        PlanIndicatorRow,
        (programme_id, indicator_id),
        with_for_update=for_update or None,
        populate_existing=for_update,
    )
    return None if row is None else _indicator(row)


async def with_indicator(
    session: AsyncSession, programme_id: str, indicator_id: str
) -> tuple[Programme | None, Indicator | None]:
    """The programme and one indicator of its plan, in one query: recording a result needs both."""
    found = (
        await session.execute(
            _PROGRAMME_WITH_INDICATOR,
            {"programme_id": programme_id, "indicator_id": indicator_id},
        )
    ).first()
    if found is None:
        return None, None
    programme, item = found
    return _programme(programme), None if item is None else _indicator(item)


#: Built once, with parameters: built per request it would cost its construction every time.
_PROGRAMME_WITH_INDICATOR = (
    select(MonitoredProgrammeRow, PlanIndicatorRow)
    .outerjoin(
        PlanIndicatorRow,
        and_(
            PlanIndicatorRow.programme_id == MonitoredProgrammeRow.programme_id,
            PlanIndicatorRow.indicator_id == bindparam("indicator_id"),
        ),
    )
    .where(MonitoredProgrammeRow.programme_id == bindparam("programme_id"))
)


async def plan(session: AsyncSession, programme_id: str) -> list[Indicator]:
    rows = await session.scalars(
        select(PlanIndicatorRow)
        .where(PlanIndicatorRow.programme_id == programme_id)
        .order_by(PlanIndicatorRow.position)
    )
    return [_indicator(r) for r in rows]
