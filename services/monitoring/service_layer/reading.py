"""What the read use cases answer: a page of objects, each with the programme it is about.

Evidence texts are need-to-know: who may read them depends on the programme
(its owner and participating organisations), so every object read is handed
out with its programme, each programme looked up once per page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from services.monitoring.domain.programmes import Programme
from services.monitoring.storage import programmes

T = TypeVar("T")


@dataclass(frozen=True)
class Read(Generic[T]):
    """An object read, with its programme (None: monitoring no longer knows it)."""

    item: T
    programme: Programme | None


@dataclass(frozen=True)
class Listing(Generic[T]):
    """One page of a list, and how many items the whole list has."""

    items: list[T]
    total: int


async def read(session: AsyncSession, item: T, programme_id: str) -> Read[T]:
    return Read(item, await programmes.get(session, programme_id))


async def with_programmes(
    session: AsyncSession, items: Sequence[T], programme_of: Callable[[T], str]
) -> list[Read[T]]:
    """Each item with its programme; the programmes behind the page are looked up once each."""
    known: dict[str, Programme | None] = {}
    for programme_id in dict.fromkeys(programme_of(i) for i in items):
        known[programme_id] = await programmes.get(session, programme_id)
    return [Read(i, known[programme_of(i)]) for i in items]
