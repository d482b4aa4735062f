"""Incident reports in the database: closed fields and a bounded summary, no one named."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.monitoring.domain.evidence import Incident
from services.monitoring.storage.columns import columns_of, fields_of, given
from services.monitoring.storage.tables import IncidentRow
from shared.db import fetch_page

#: Latest first: by when it happened, then by when it was reported.
_NEWEST_FIRST = (IncidentRow.occurred_on.desc(), IncidentRow.recorded_at.desc())


async def add(session: AsyncSession, incident: Incident) -> None:
    session.add(IncidentRow(**columns_of(IncidentRow, incident)))
    await session.flush()


async def get(session: AsyncSession, incident_id: UUID) -> Incident | None:
    row = await session.get(IncidentRow, incident_id)
    return None if row is None else Incident(**fields_of(Incident, row))


async def page(
    session: AsyncSession, programme_id: str | None, offset: int, limit: int
) -> tuple[list[Incident], int]:
    """One page of incident reports, latest first, and how many there are in all."""
    query = select(IncidentRow).filter_by(**given(programme_id=programme_id))
    rows, total = await fetch_page(session, query, *_NEWEST_FIRST, offset=offset, limit=limit)
    return [Incident(**fields_of(Incident, r)) for r in rows], total
