"""A unit of work: one database transaction holding a change and the events it implies.

Handlers, whether behind an HTTP route or a Kafka subscriber, do their work on
``uow.session`` and announce what happened with ``await uow.emit(event_data)``.
Both commit together or not at all, which is the outbox guarantee seen from the
handler's side: a rejected request changes no state and emits no event.

Inside an HTTP request that asks for a change, the unit of work also appends the
request's audit record to the same transaction (:mod:`shared.audit`): the change and its
record commit together, so no crash can leave one without the other.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.audit.context import AuditContext, record_change
from shared.db import write_gate
from shared.events.catalogue import EventData
from shared.events.envelope import CloudEvent
from shared.outbox import Outbox


@dataclass
class UnitOfWork:
    session: AsyncSession
    outbox: Outbox | None
    emitted: list[CloudEvent] = field(default_factory=list)

    async def emit(self, data: EventData) -> CloudEvent:
        """Add an event of this service to the transaction; it is published after commit."""
        if self.outbox is None:
            raise RuntimeError("this unit of work has no outbox: it may not emit events")
        event = await self.outbox.add(self.session, data)
        self.emitted.append(event)
        return event


@asynccontextmanager
async def unit_of_work(
    sessions: async_sessionmaker[AsyncSession], outbox: Outbox | None
) -> AsyncIterator[UnitOfWork]:
    """Commit on leaving the block, roll back (state and events) on any exception.

    On SQLite the unit of work first waits for its turn to write (``write_gate``).
    """
    async with write_gate(sessions), sessions() as session:
        change: AuditContext | None = None
        try:
            async with session.begin():
                yield UnitOfWork(session, outbox)
                change = await record_change(session)
        except BaseException:
            if change is not None:
                change.abandoned()
            raise
        if change is not None:
            change.committed()
