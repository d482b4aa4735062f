"""The programmes read model and the monitoring plans, kept from ``taskforce.programmes.v1``.

Every event carries the programme's routing fields, so each one refreshes
them; a plan is replaced whole, and only by a revision at least as new as the
one held, so a replay from the start rebuilds the same model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import and_, bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.monitoring.domain.plans import Indicator, Target
from services.monitoring.storage.tables import (
    CountryRiskRow,
    MonitoredProgrammeRow,
    PlanIndicatorRow,
)
from shared.contracts.programmes import IndicatorDefinition, ProgrammeEvent
from shared.contracts.vocabulary import (
    ActivityStatus,
    IndicatorMeasure,
    IntendedDirection,
    RiskRating,
)
from shared.http.times import as_utc

#: Statuses in which a programme still acts in its countries.
ACTIVE = frozenset(
    {ActivityStatus.IMPLEMENTATION, ActivityStatus.FINALISATION, ActivityStatus.SUSPENDED}
)


@dataclass(frozen=True)
class ProgrammeView:
    programme_id: str
    owning_organisation: str
    partner_organisations: tuple[str, ...]
    country_codes: tuple[str, ...]
    themes: tuple[str, ...]
    status: ActivityStatus | None
    plan_revision: int

    def routing(self) -> dict[str, object]:
        return {
            "programme_id": self.programme_id,
            "owning_organisation": self.owning_organisation,
            "partner_organisations": self.partner_organisations,
            "country_codes": self.country_codes,
            "themes": self.themes,
        }

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


def _view(row: MonitoredProgrammeRow) -> ProgrammeView:
    return ProgrammeView(
        programme_id=row.programme_id,
        owning_organisation=row.owning_organisation,
        partner_organisations=tuple(row.partner_organisations),
        country_codes=tuple(row.country_codes),
        themes=tuple(row.themes),
        status=None if row.status is None else ActivityStatus(row.status),
        plan_revision=row.plan_revision,
    )


async def get(session: AsyncSession, programme_id: str) -> ProgrammeView | None:
    row = await session.get(MonitoredProgrammeRow, programme_id)
    return None if row is None else _view(row)


async def all_programmes(session: AsyncSession) -> list[ProgrammeView]:
    rows = await session.scalars(
        select(MonitoredProgrammeRow).order_by(MonitoredProgrammeRow.programme_id)
    )
    return [_view(r) for r in rows]


async def in_country(session: AsyncSession, country_code: str) -> list[ProgrammeView]:
    """Programmes with ``country_code`` among their recipient countries, by id."""
    rows = await session.scalars(
        select(MonitoredProgrammeRow).order_by(MonitoredProgrammeRow.programme_id)
    )
    return [_view(r) for r in rows if country_code in r.country_codes]


async def apply(
    session: AsyncSession,
    data: ProgrammeEvent,
    *,
    now: datetime,
    status: ActivityStatus | None = None,
) -> MonitoredProgrammeRow:
    """Refresh the programme's routing fields (and status, when the event says it)."""
    row = await session.get(MonitoredProgrammeRow, data.programme_id)
    if row is None:
        row = MonitoredProgrammeRow(programme_id=data.programme_id, plan_revision=0, status=None)
        session.add(row)
    row.owning_organisation = data.owning_organisation
    row.partner_organisations = list(data.partner_organisations)
    row.country_codes = list(data.country_codes)
    row.themes = [t.value for t in data.themes]
    if status is not None:
        row.status = int(status)
    row.updated_at = now
    await session.flush()
    return row


def _text(value: float | None) -> str | None:
    return None if value is None else str(Decimal(str(value)))


async def replace_plan(
    session: AsyncSession,
    row: MonitoredProgrammeRow,
    revision: int,
    indicators: Sequence[IndicatorDefinition],
) -> bool:
    """Take the programme's indicators as of ``revision``; an older revision changes nothing."""
    if revision < row.plan_revision:
        return False
    await session.execute(
        delete(PlanIndicatorRow).where(PlanIndicatorRow.programme_id == row.programme_id)
    )
    for position, item in enumerate(indicators):
        session.add(
            PlanIndicatorRow(
                programme_id=row.programme_id,
                indicator_id=item.indicator_id,
                position=position,
                title=item.title,
                measure=int(item.measure),
                direction=item.direction.value,
                baseline=_text(item.baseline),
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
    row.plan_revision = revision
    await session.flush()
    return True


def _indicator(row: PlanIndicatorRow) -> Indicator:
    return Indicator(
        indicator_id=row.indicator_id,
        title=row.title,
        measure=IndicatorMeasure(row.measure),
        direction=IntendedDirection(row.direction),
        baseline=None if row.baseline is None else Decimal(row.baseline),
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
    session: AsyncSession, programme_id: str, indicator_id: str
) -> Indicator | None:
    """One indicator of the programme's plan: a request about one indicator parses only its row."""
    row = await session.get(PlanIndicatorRow, (programme_id, indicator_id))
    return None if row is None else _indicator(row)


async def with_indicator(
    session: AsyncSession, programme_id: str, indicator_id: str
) -> tuple[ProgrammeView | None, Indicator | None]:
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
    return _view(programme), None if item is None else _indicator(item)


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


@dataclass(frozen=True)
class RiskApplied:
    newest: bool
    previous: RiskRating | None


async def apply_risk(
    session: AsyncSession,
    country_code: str,
    *,
    residual: RiskRating,
    assessment_id: UUID,
    assessed_at: datetime,
) -> RiskApplied:
    """Keep the newest assessment per country (by when it was concluded)."""
    row = await session.get(CountryRiskRow, country_code)
    if row is None:
        session.add(
            CountryRiskRow(
                country_code=country_code,
                residual_rating=residual.value,
                assessment_id=assessment_id,
                assessed_at=assessed_at,
            )
        )
        await session.flush()
        return RiskApplied(True, None)
    previous = RiskRating(row.residual_rating)
    if as_utc(assessed_at) < as_utc(row.assessed_at):
        return RiskApplied(False, previous)
    row.residual_rating = residual.value
    row.assessment_id = assessment_id
    row.assessed_at = assessed_at
    await session.flush()
    return RiskApplied(True, previous)


async def country_risk(session: AsyncSession, country_code: str) -> CountryRiskRow | None:
    return await session.get(CountryRiskRow, country_code)
