"""Flags in the database; a flag's evidence is JSON, as the events carry it."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.monitoring.domain.flags import Flag, FlagState
from services.monitoring.storage.tables import FlagRow
from shared.contracts.monitoring import EvidenceRef
from shared.contracts.vocabulary import FlagCategory, FlagResolution, ReviewDecision, Severity
from shared.db import fetch_page
from shared.http.models import from_storage
from shared.http.times import as_utc


def _flag(row: FlagRow) -> Flag:
    return Flag(
        flag_id=row.flag_id,
        programme_id=row.programme_id,
        rule_id=row.rule_id,
        rule_version=row.rule_version,
        category=FlagCategory(row.category),
        severity=Severity(row.severity),
        evidence=tuple(from_storage(EvidenceRef, e) for e in row.evidence),
        recommends_hold=row.recommends_hold,
        raised_at=as_utc(row.raised_at),
        state=FlagState(row.state),
        resolved_at=None if row.resolved_at is None else as_utc(row.resolved_at),
        resolution=None if row.resolution is None else FlagResolution(row.resolution),
        review_id=row.review_id,
        decision=None if row.decision is None else ReviewDecision(row.decision),
    )


async def get(session: AsyncSession, flag_id: UUID) -> Flag | None:
    row = await session.get(FlagRow, flag_id)
    return None if row is None else _flag(row)


async def exists(session: AsyncSession, flag_id: UUID) -> bool:
    """True when the flag was raised before, open or resolved."""
    return await session.get(FlagRow, flag_id) is not None


async def add(session: AsyncSession, flag: Flag) -> None:
    session.add(
        FlagRow(
            flag_id=flag.flag_id,
            programme_id=flag.programme_id,
            rule_id=flag.rule_id,
            rule_version=flag.rule_version,
            category=flag.category.value,
            severity=flag.severity.value,
            evidence=[e.model_dump(mode="json", by_alias=True) for e in flag.evidence],
            recommends_hold=flag.recommends_hold,
            state=flag.state.value,
            raised_at=flag.raised_at,
        )
    )
    await session.flush()


async def resolve(session: AsyncSession, flag: Flag) -> None:
    """Store how the flag was resolved."""
    row = await session.get(FlagRow, flag.flag_id)
    if row is None:
        raise LookupError(f"no flag {flag.flag_id} to resolve")
    row.state = flag.state.value
    row.resolved_at = flag.resolved_at
    row.resolution = None if flag.resolution is None else flag.resolution.value
    row.review_id = flag.review_id
    row.decision = None if flag.decision is None else flag.decision.value
    await session.flush()


async def open_on(session: AsyncSession, programme_ids: Sequence[str]) -> list[Flag]:
    """The open flags on any of the programmes, oldest first."""
    rows = await session.scalars(
        select(FlagRow)
        .where(FlagRow.programme_id.in_(programme_ids), FlagRow.state == FlagState.OPEN.value)
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
    query = select(FlagRow)
    if programme_id is not None:
        query = query.where(FlagRow.programme_id == programme_id)
    if state is not None:
        query = query.where(FlagRow.state == state.value)
    if category is not None:
        query = query.where(FlagRow.category == category.value)
    rows, total = await fetch_page(
        session, query, FlagRow.raised_at.desc(), FlagRow.flag_id, offset=offset, limit=limit
    )
    return [_flag(r) for r in rows], total
