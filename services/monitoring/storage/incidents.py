"""Incident reports in the database: closed fields and a bounded summary, no one named."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.monitoring.domain.evidence import Incident
from services.monitoring.storage.tables import IncidentRow
from shared.contracts.vocabulary import Severity, SideEffectCategory
from shared.db import fetch_page
from shared.http.times import as_utc

#: Latest first: by when it happened, then by when it was reported.
_NEWEST_FIRST = (IncidentRow.occurred_on.desc(), IncidentRow.recorded_at.desc())


def _incident(row: IncidentRow) -> Incident:
    return Incident(
        incident_id=row.incident_id,
        programme_id=row.programme_id,
        category=SideEffectCategory(row.category),
        severity=Severity(row.severity),
        country_code=row.country_code,
        occurred_on=row.occurred_on,
        verified=row.verified,
        reported_by=row.reported_by,
        summary=row.summary,
        recorded_at=as_utc(row.recorded_at),
    )


async def add(session: AsyncSession, incident: Incident) -> None:
    session.add(
        IncidentRow(
            incident_id=incident.incident_id,
            programme_id=incident.programme_id,
            category=incident.category.value,
            severity=incident.severity.value,
            country_code=incident.country_code,
            occurred_on=incident.occurred_on,
            verified=incident.verified,
            reported_by=incident.reported_by,
            summary=incident.summary,
            recorded_at=incident.recorded_at,
        )
    )
    await session.flush()


async def get(session: AsyncSession, incident_id: UUID) -> Incident | None:
    row = await session.get(IncidentRow, incident_id)
    return None if row is None else _incident(row)


async def page(
    session: AsyncSession, *, programme_id: str | None, offset: int, limit: int
) -> tuple[list[Incident], int]:
    """One page of incident reports, latest first, and how many there are in all."""
    query = select(IncidentRow)
    if programme_id is not None:
        query = query.where(IncidentRow.programme_id == programme_id)
    rows, total = await fetch_page(session, query, *_NEWEST_FIRST, offset=offset, limit=limit)
    return [_incident(r) for r in rows], total
