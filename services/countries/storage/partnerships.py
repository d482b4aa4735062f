"""Partnership tracks and their status history, on a session of the caller's unit of work."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.countries.domain.partnerships import Partnership, PartnershipContent, StatusChange
from services.countries.storage.tables import PartnershipRow, StatusChangeRow, wire
from shared.contracts.vocabulary import PartnershipStatus
from shared.http.models import from_storage
from shared.http.times import as_utc


def _partnership(row: PartnershipRow) -> Partnership:
    return Partnership(
        id=UUID(row.id),
        country_code=row.country_code,
        content=from_storage(PartnershipContent, row.content),
        status=PartnershipStatus(row.status),
        status_since=row.status_since,
        revision=row.revision,
        created_at=as_utc(row.created_at),
        created_by=row.created_by,
        updated_at=as_utc(row.updated_at),
        updated_by=row.updated_by,
    )


async def partnerships(
    session: AsyncSession,
    *,
    country_code: str | None = None,
    status: PartnershipStatus | None = None,
    lead_organisation: str | None = None,
) -> list[Partnership]:
    """Tracks matching the column filters, by country then opening time."""
    query = select(PartnershipRow)
    if country_code is not None:
        query = query.where(PartnershipRow.country_code == country_code)
    if status is not None:
        query = query.where(PartnershipRow.status == status.value)
    if lead_organisation is not None:
        query = query.where(PartnershipRow.lead_organisation == lead_organisation)
    rows = await session.scalars(
        query.order_by(PartnershipRow.country_code, PartnershipRow.created_at, PartnershipRow.id)
    )
    return [_partnership(row) for row in rows]


async def find_partnership(
    session: AsyncSession, country_code: str, partnership_id: UUID, *, for_update: bool = False
) -> Partnership | None:
    """The country's track; ``for_update`` locks its row (read afresh) to change it."""
    row = await session.get(
        PartnershipRow,
        str(partnership_id),
        with_for_update=for_update or None,
        populate_existing=for_update,
    )
    return _partnership(row) if row is not None and row.country_code == country_code else None


async def save_partnership(session: AsyncSession, partnership: Partnership) -> None:
    """Insert or update a track (content, status and bookkeeping)."""
    row = await session.get(PartnershipRow, str(partnership.id))
    if row is None:
        row = PartnershipRow(
            id=str(partnership.id),
            country_code=partnership.country_code,
            created_at=partnership.created_at,
            created_by=partnership.created_by,
        )
        session.add(row)
    row.content = wire(partnership.content)
    row.kind = partnership.content.kind.value
    row.lead_organisation = partnership.content.lead_organisation
    row.status = partnership.status.value
    row.status_since = partnership.status_since
    row.revision = partnership.revision
    row.updated_at = partnership.updated_at
    row.updated_by = partnership.updated_by


async def add_status_change(
    session: AsyncSession, partnership_id: UUID, change: StatusChange
) -> None:
    session.add(
        StatusChangeRow(
            partnership_id=str(partnership_id),
            status=change.status.value,
            previous_status=change.previous_status.value if change.previous_status else None,
            effective_from=change.effective_from,
            reason=change.reason,
            recorded_at=change.recorded_at,
            recorded_by=change.recorded_by,
        )
    )
    await session.flush()  # the parent row must exist before this one (foreign key)


async def status_changes(session: AsyncSession, partnership_id: UUID) -> list[StatusChange]:
    """Oldest first: the track's status history in the order it happened."""
    rows = await session.scalars(
        select(StatusChangeRow)
        .where(StatusChangeRow.partnership_id == str(partnership_id))
        .order_by(StatusChangeRow.id)
    )
    return [
        StatusChange(
            status=PartnershipStatus(row.status),
            previous_status=PartnershipStatus(row.previous_status) if row.previous_status else None,
            effective_from=row.effective_from,
            reason=row.reason,
            recorded_at=as_utc(row.recorded_at),
            recorded_by=row.recorded_by,
        )
        for row in rows
    ]
