"""What the read use cases answer: a page of objects, each with the programme it is about.

Evidence texts are need-to-know: who may read them depends on the programme
(its owner and participating organisations), so every object read is handed
out with its programme, each programme looked up once per page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from services.monitoring.domain.programmes import Programme
from services.monitoring.storage import programmes
from shared.errors import NotFound

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


class AboutProgramme(Protocol):
    """Evidence on one programme."""

    @property
    def programme_id(self) -> str: ...


A = TypeVar("A", bound=AboutProgramme)


async def read_one(session: AsyncSession, found: A | None, missing: str) -> Read[A]:
    """``found`` with its programme; when it is None, the 404 that ``missing`` words."""
    if found is None:
        raise NotFound(missing)
    return Read(found, await programmes.get(session, found.programme_id))


async def read_page(session: AsyncSession, page: tuple[Sequence[A], int]) -> Listing[Read[A]]:
    """A page of evidence and its total, each item with its programme (each looked up once)."""
    items, total = page
    known: dict[str, Programme | None] = {}
    for programme_id in dict.fromkeys(i.programme_id for i in items):
        known[programme_id] = await programmes.get(session, programme_id)
    return Listing([Read(i, known[i.programme_id]) for i in items], total)
