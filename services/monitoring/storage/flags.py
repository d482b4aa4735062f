"""Flags in the database; a flag's evidence is JSON, as the events carry it."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.monitoring.domain.flags import Flag, FlagState, RaisedBy, Resolution
from services.monitoring.storage.columns import columns_of, fields_of, given
from services.monitoring.storage.tables import FlagRow
from shared.contracts.monitoring import EvidenceRef
from shared.contracts.vocabulary import FlagCategory
from shared.db import fetch_page
from shared.http.models import from_storage


def _flag(row: FlagRow) -> Flag:
    resolved = None
    if row.resolved_at is not None and row.review_id is not None and row.decision is not None:
        resolved = Resolution(**fields_of(Resolution, row))
    evidence = tuple(from_storage(EvidenceRef, e) for e in row.evidence)
    raised_by = RaisedBy(**fields_of(RaisedBy, row))
    found = fields_of(Flag, row)
    return Flag(**{**found, "raised_by": raised_by, "evidence": evidence, "resolved": resolved})


async def get(session: AsyncSession, flag_id: UUID) -> Flag | None:
    row = await session.get(FlagRow, flag_id)
    return None if row is None else _flag(row)


async def exists(session: AsyncSession, flag_id: UUID) -> bool:
    """True when the flag was raised before, open or resolved."""
    return await session.get(FlagRow, flag_id) is not None


async def add(session: AsyncSession, flag: Flag) -> None:
    evidence = [e.model_dump(mode="json", by_alias=True) for e in flag.evidence]
    columns = {**columns_of(FlagRow, flag), **columns_of(FlagRow, flag.raised_by)}
    session.add(FlagRow(**{**columns, "evidence": evidence}))
    await session.flush()


async def resolve(session: AsyncSession, flag: Flag) -> None:
    """Store how the flag was resolved."""
    row = await session.get(FlagRow, flag.flag_id)
    if row is None or flag.resolved is None:
        raise LookupError(f"no flag {flag.flag_id} resolved to store")
    row.state = flag.state
    for name, value in columns_of(FlagRow, flag.resolved).items():
        setattr(row, name, value)
    await session.flush()


async def open_on(session: AsyncSession, programme_ids: Sequence[str]) -> list[Flag]:
    """The open flags on any of the programmes, oldest first."""
    rows = await session.scalars(
        select(FlagRow)
        .where(FlagRow.programme_id.in_(programme_ids), FlagRow.state == FlagState.OPEN)
        .order_by(FlagRow.raised_at)
    )
    return [_flag(r) for r in rows]


async def page(
    session: AsyncSession,
    *,
    programme_id: str | None,
    state: FlagState | None,
    category: FlagCategory | None,
    offset: int,
    limit: int,
) -> tuple[list[Flag], int]:
    """One page of flags, newest first, and how many there are in all."""
    filters = given(programme_id=programme_id, state=state, category=category)
    query = select(FlagRow).filter_by(**filters)
    rows, total = await fetch_page(
        session, query, FlagRow.raised_at.desc(), FlagRow.flag_id, offset=offset, limit=limit
    )
    return [_flag(r) for r in rows], total
