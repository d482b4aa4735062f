"""Programmes read as IATI activities: each with its budgets, transactions and indicators."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.programmes.domain.activity import ActivityRecord
from services.programmes.domain.programme import Programme, ProgrammeFilter
from services.programmes.storage import money, programmes, results


async def activity_of(session: AsyncSession, programme: Programme) -> ActivityRecord:
    pid = programme.programme_id
    return ActivityRecord(
        programme=programme,
        budgets=await money.budgets(session, pid),
        transactions=await money.transactions(session, pid),
        indicators=await results.indicators(session, pid),
    )


async def activities(
    session: AsyncSession, *, offset: int, limit: int
) -> tuple[list[ActivityRecord], int]:
    """One page of the registry's activities (oldest programme first) and how many there are."""
    found, total = await programmes.search(session, ProgrammeFilter(), offset=offset, limit=limit)
    return [await activity_of(session, p) for p in found], total
