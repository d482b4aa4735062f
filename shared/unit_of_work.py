"""A unit of work: one database transaction holding a change and the events it implies.

Use cases, whether behind an HTTP route or a Kafka subscriber, do their work on
``uow.session`` and announce what happened with ``await uow.emit(event_data)``.
Both commit together or not at all, which is the outbox guarantee seen from the
use case's side: a rejected request changes no state and emits no event.

What must happen only once the change is durable (waking the outbox relay or
the delivery worker, reading a changed cache again) is registered with
``uow.after_commit(callback)``: the callbacks run, in order, after the commit,
and never after a rollback. This is the one place such hooks live; nothing
listens on SQLAlchemy sessions process-wide.

Inside an HTTP request that asks for a change, the unit of work also appends the
request's audit record to the same transaction (:mod:`shared.audit`): the change and its
record commit together, so no crash can leave one without the other. So does the
request's ``Idempotency-Key``, if it sent one (:mod:`shared.http.idempotency`): whenever
the change is there, a retry finds the key.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.audit.context import AuditContext, record_change
from shared.db import write_gate
from shared.events.catalogue import EventData
from shared.events.envelope import CloudEvent
from shared.http.idempotency_keys import PendingKey, claim_key
from shared.outbox import Outbox

log = logging.getLogger(__name__)

AfterCommit = Callable[[], None]


@dataclass
class UnitOfWork:
    session: AsyncSession
    outbox: Outbox | None
    emitted: list[CloudEvent] = field(default_factory=list)
    _after_commit: list[AfterCommit] = field(default_factory=list)

    def after_commit(self, callback: AfterCommit) -> None:
        """Run ``callback`` once this transaction has committed (not at all on rollback).

        The same callback registered twice runs once: a use case that emits ten
        events wakes the relay once.
        """
        if callback not in self._after_commit:
            self._after_commit.append(callback)

    async def emit(self, data: EventData) -> CloudEvent:
        """Add an event of this service to the transaction; it is published after commit."""
        outbox = self._outbox()
        event = await outbox.add(self.session, data)
        self.emitted.append(event)
        self.after_commit(outbox.wake.set)
        return event

    def forward(
        self,
        event: CloudEvent,
        topic: str,
        *,
        copy: str,
        extra_headers: Mapping[str, str] | None = None,
    ) -> str:
        """Queue another service's ``event`` for ``topic`` unchanged (see ``Outbox.forward``)."""
        outbox = self._outbox()
        row_id = outbox.forward(self.session, event, topic, copy=copy, extra_headers=extra_headers)
        self.after_commit(outbox.wake.set)
        return row_id

    def _outbox(self) -> Outbox:
        if self.outbox is None:
            raise RuntimeError("this unit of work has no outbox: it may not emit events")
        return self.outbox

    def committed(self) -> None:
        """The transaction committed: run the after-commit callbacks, each once."""
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            try:
                callback()
            except Exception:
                # The change is durable already; a failing hook must not turn it into an error.
                log.exception("after-commit callback %r failed", callback)


@asynccontextmanager
async def unit_of_work(
    sessions: async_sessionmaker[AsyncSession], outbox: Outbox | None
) -> AsyncIterator[UnitOfWork]:
    """Commit on leaving the block, roll back (state and events) on any exception.

    On SQLite the unit of work first waits for its turn to write (``write_gate``).
    """
    async with write_gate(sessions), sessions() as session:
        change: AuditContext | None = None
        key: PendingKey | None = None
        uow = UnitOfWork(session, outbox)
        try:
            async with session.begin():
                yield uow
                change = await record_change(session)
                key = await claim_key(session)
        except BaseException:
            if change is not None:
                change.abandoned()
            if key is not None:
                key.abandoned()
            raise
        if change is not None:
            change.committed()
        if key is not None:
            key.committed()
        uow.committed()
