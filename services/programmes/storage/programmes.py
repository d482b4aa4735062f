"""Programmes in the database: registering, loading, searching, status and transitions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Select, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.programmes.domain.lifecycle import ACTIVE, Transition
from services.programmes.domain.programme import (
    OrganisationRole,
    ParticipatingOrganisation,
    Programme,
    ProgrammeFilter,
    ReportingOrganisation,
    ReturnAssistance,
    Share,
)
from services.programmes.storage.tables import (
    ParticipatingOrgRow,
    ProgrammeCounterRow,
    ProgrammeCountryRow,
    ProgrammeRow,
    ProgrammeSectorRow,
    ProgrammeThemeRow,
    StatusTransitionRow,
    columns_of,
)
from shared.contracts.vocabulary import ActivityStatus, Theme
from shared.http.times import as_utc


def to_basis_points(percentage: Decimal) -> int:
    return int(percentage * 100)


def from_basis_points(points: int) -> Decimal:
    return (Decimal(points) / 100).quantize(Decimal("0.01"))


async def next_programme_id(session: AsyncSession, year: int) -> str:
    """``prg-<year>-<nnnn>``: numbered per registration year, never reused."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(ProgrammeCounterRow)
        .values(year=year, last=1)
        .on_conflict_do_update(
            index_elements=[ProgrammeCounterRow.year], set_={"last": ProgrammeCounterRow.last + 1}
        )
        .returning(ProgrammeCounterRow.last)
    )
    number = int((await session.execute(statement)).scalar_one())
    return f"prg-{year}-{number:04d}"


def _row_of(programme: Programme) -> ProgrammeRow:
    reporting = programme.reporting_organisation
    stored_otherwise = {
        "status": int(programme.status),
        "return_assistance": programme.return_assistance.value,
        "reporting_org_ref": reporting.ref,
        "reporting_org_type": reporting.type,
        "reporting_org_name": reporting.name,
    }
    return ProgrammeRow(
        **(columns_of(ProgrammeRow, programme) | stored_otherwise),
        countries=[
            ProgrammeCountryRow(
                country_code=s.code, basis_points=to_basis_points(s.percentage), position=i
            )
            for i, s in enumerate(programme.recipient_countries)
        ],
        sectors=[
            ProgrammeSectorRow(code=s.code, basis_points=to_basis_points(s.percentage), position=i)
            for i, s in enumerate(programme.sectors)
        ],
        themes=[
            ProgrammeThemeRow(theme=t.value, position=i) for i, t in enumerate(programme.themes)
        ],
        organisations=[
            ParticipatingOrgRow(
                **(columns_of(ParticipatingOrgRow, o) | {"position": i, "role": int(o.role)})
            )
            for i, o in enumerate(programme.participating_organisations)
        ],
    )


def _programme_of(row: ProgrammeRow) -> Programme:
    return Programme(
        programme_id=row.programme_id,
        iati_identifier=row.iati_identifier,
        title=row.title,
        description=row.description,
        reporting_organisation=ReportingOrganisation(
            row.reporting_org_ref, row.reporting_org_type, row.reporting_org_name
        ),
        owning_organisation=row.owning_organisation,
        participating_organisations=tuple(
            ParticipatingOrganisation(
                role=OrganisationRole(o.role),
                name=o.name,
                ref=o.ref,
                type=o.type,
                crs_channel_code=o.crs_channel_code,
                organisation=o.organisation,
            )
            for o in row.organisations
        ),
        status=ActivityStatus(row.status),
        planned_start=row.planned_start,
        planned_end=row.planned_end,
        actual_start=row.actual_start,
        actual_end=row.actual_end,
        recipient_countries=tuple(
            Share(c.country_code, from_basis_points(c.basis_points)) for c in row.countries
        ),
        sectors=tuple(Share(s.code, from_basis_points(s.basis_points)) for s in row.sectors),
        themes=tuple(Theme(t.theme) for t in row.themes),
        return_assistance=ReturnAssistance(row.return_assistance),
        partnership_id=row.partnership_id,
        results_framework_revision=row.results_framework_revision,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
    )


async def add(session: AsyncSession, programme: Programme) -> None:
    session.add(_row_of(programme))
    await session.flush()


async def iati_identifier_taken(session: AsyncSession, iati_identifier: str) -> bool:
    found = await session.scalar(
        select(ProgrammeRow.programme_id).where(ProgrammeRow.iati_identifier == iati_identifier)
    )
    return found is not None


async def get(
    session: AsyncSession, programme_id: str, *, for_update: bool = False
) -> Programme | None:
    """The programme, locked for the rest of the transaction when it is to be changed.

    ``FOR UPDATE`` serialises concurrent changes on PostgreSQL; SQLite
    serialises writers anyway and ignores it.
    """
    statement = select(ProgrammeRow).where(ProgrammeRow.programme_id == programme_id)
    if for_update:
        statement = statement.with_for_update()
    row = await session.scalar(statement)
    return None if row is None else _programme_of(row)


async def status_of(
    session: AsyncSession, programme_id: str, *, for_update: bool = False
) -> ActivityStatus | None:
    """Only the programme's status (locked like ``get``): what a finding needs to be judged."""
    statement = select(ProgrammeRow.status).where(ProgrammeRow.programme_id == programme_id)
    if for_update:
        statement = statement.with_for_update()
    found = await session.scalar(statement)
    return None if found is None else ActivityStatus(found)


async def save_status(
    session: AsyncSession,
    programme: Programme,
    *,
    status: ActivityStatus,
    actual_start: date | None,
    actual_end: date | None,
    updated_at: datetime,
) -> None:
    row = await session.get_one(ProgrammeRow, programme.programme_id)
    row.status = int(status)
    row.actual_start = actual_start
    row.actual_end = actual_end
    row.updated_at = updated_at
    await session.flush()


async def touch(session: AsyncSession, programme_id: str, updated_at: datetime) -> None:
    row = await session.get_one(ProgrammeRow, programme_id)
    row.updated_at = updated_at
    await session.flush()


async def set_results_framework_revision(
    session: AsyncSession, programme_id: str, revision: int, updated_at: datetime
) -> None:
    row = await session.get_one(ProgrammeRow, programme_id)
    row.results_framework_revision = revision
    row.updated_at = updated_at
    await session.flush()


async def record_transition(session: AsyncSession, transition: Transition) -> None:
    session.add(
        StatusTransitionRow(
            transition_id=transition.transition_id,
            programme_id=transition.programme_id,
            from_status=int(transition.from_status),
            to_status=int(transition.to_status),
            effective_on=transition.effective_on,
            changed_by=transition.changed_by,
            recorded_at=transition.recorded_at,
            reason=transition.reason,
            review_id=transition.review_id,
        )
    )
    await session.flush()


async def transitions(session: AsyncSession, programme_id: str) -> list[Transition]:
    rows = await session.scalars(
        select(StatusTransitionRow)
        .where(StatusTransitionRow.programme_id == programme_id)
        .order_by(StatusTransitionRow.seq)
    )
    return [
        Transition(
            transition_id=r.transition_id,
            programme_id=r.programme_id,
            from_status=ActivityStatus(r.from_status),
            to_status=ActivityStatus(r.to_status),
            effective_on=r.effective_on,
            changed_by=r.changed_by,
            recorded_at=as_utc(r.recorded_at),
            reason=r.reason,
            review_id=r.review_id,
        )
        for r in rows
    ]


def _filtered(criteria: ProgrammeFilter) -> Select[ProgrammeRow]:
    statement = select(ProgrammeRow)
    if criteria.status is not None:
        statement = statement.where(ProgrammeRow.status == int(criteria.status))
    if criteria.owning_organisation is not None:
        statement = statement.where(
            ProgrammeRow.owning_organisation == criteria.owning_organisation
        )
    if criteria.iati_identifier is not None:
        statement = statement.where(ProgrammeRow.iati_identifier == criteria.iati_identifier)
    if criteria.country_code is not None:
        statement = statement.where(
            ProgrammeRow.countries.any(ProgrammeCountryRow.country_code == criteria.country_code)
        )
    if criteria.theme is not None:
        statement = statement.where(
            ProgrammeRow.themes.any(ProgrammeThemeRow.theme == criteria.theme.value)
        )
    return statement


async def search(
    session: AsyncSession, criteria: ProgrammeFilter, *, offset: int, limit: int
) -> tuple[list[Programme], int]:
    """One page of programmes matching ``criteria`` (oldest first) and how many match in all."""
    statement = _filtered(criteria)
    count = await session.scalar(select(func.count()).select_from(statement.subquery()))
    rows = await session.scalars(
        statement.order_by(ProgrammeRow.created_at, ProgrammeRow.programme_id)
        .offset(offset)
        .limit(limit)
    )
    return [_programme_of(row) for row in rows], int(count or 0)


async def all_programmes(session: AsyncSession) -> list[Programme]:
    rows = await session.scalars(
        select(ProgrammeRow).order_by(ProgrammeRow.created_at, ProgrammeRow.programme_id)
    )
    return [_programme_of(row) for row in rows]


async def active_in_country(session: AsyncSession, country_code: str) -> Sequence[Programme]:
    """Programmes with ``country_code`` as a recipient that still act there."""
    rows = await session.scalars(
        _filtered(ProgrammeFilter(country_code=country_code))
        .where(ProgrammeRow.status.in_([int(s) for s in ACTIVE]))
        .order_by(ProgrammeRow.programme_id)
        .with_for_update()
    )
    return [_programme_of(row) for row in rows]
