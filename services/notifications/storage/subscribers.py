"""The subscriptions events are routed to, kept in memory until one of them changes.

Every event of the domain topics is routed, most to nobody, and reading and
parsing every subscription for each one cost more than the routing itself. The
routes are kept and read again only after a transaction that wrote a
subscription ended in this process: ORM flushes of ``SubscriptionRow`` and ORM
``UPDATE`` / ``DELETE`` statements on it are watched. A write that bypasses the
ORM, or comes from another process on the same database, is not seen; the
service runs as one process per database (see the README's limits).

The routes are read in a session of their own, never in the caller's
transaction: a transaction's snapshot may predate a change already counted,
and routes read from it would be kept as current.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, object_session

from services.notifications.domain.routing import Route
from services.notifications.domain.sinks import Sink, reached
from services.notifications.storage import store
from services.notifications.storage.tables import SubscriptionRow

_CHANGED = "notifications.subscriptions-changed"


@dataclass(frozen=True)
class Subscriber:
    """A routable subscription: its route, and which of its sinks an event reaches now."""

    route: Route
    status: str
    url: str | None
    sinks: frozenset[Sink]

    @property
    def organisation(self) -> str:
        return self.route.organisation

    @property
    def reaches(self) -> frozenset[Sink]:
        """Its sinks, less the pushes (webhook, stream) unless it is active."""
        return reached(self.sinks, active=self.status == store.ACTIVE)

    @property
    def gets_webhooks(self) -> bool:
        return Sink.WEBHOOK in self.reaches and self.url is not None

    @property
    def gets_inbox(self) -> bool:
        return Sink.INBOX in self.reaches

    @property
    def gets_stream(self) -> bool:
        return Sink.STREAM in self.reaches


class _Changes:
    """How many transactions that wrote subscriptions have ended in this process."""

    count = 0


def _subscriber_of(row: SubscriptionRow) -> Subscriber:
    return Subscriber(
        route=store.route_of(row),
        status=row.status,
        url=row.url,
        sinks=frozenset(Sink(s) for s in row.sinks),
    )


class SubscriberCache:
    """The routable subscriptions, read again only after a subscription changed."""

    def __init__(self) -> None:
        self._read_at: int | None = None
        self._subscribers: tuple[Subscriber, ...] = ()

    async def subscribers(self, session: AsyncSession) -> tuple[Subscriber, ...]:
        """Every routable subscription in creation order; ``session`` lends only its engine.

        A session that changed subscriptions itself and has not ended sees
        them through its own transaction, uncached.
        """
        if session.sync_session.info.get(_CHANGED):
            return tuple(_subscriber_of(row) for row in await store.routable(session))
        changes = _Changes.count
        if self._read_at != changes:
            # Counted before reading, so a change committed meanwhile reads again next time.
            async with AsyncSession(session.bind) as fresh:
                rows = await store.routable(fresh)
            self._subscribers = tuple(_subscriber_of(row) for row in rows)
            self._read_at = changes
        return self._subscribers


def _mark_changed(_mapper: Any, _connection: Any, target: SubscriptionRow) -> None:
    session = object_session(target)
    if session is not None:
        session.info[_CHANGED] = True


for _operation in ("after_insert", "after_update", "after_delete"):
    event.listen(SubscriptionRow, _operation, _mark_changed)


@event.listens_for(Session, "do_orm_execute")
def _watch_bulk_writes(state: ORMExecuteState) -> None:
    if state.is_select:
        return
    if any(mapper.class_ is SubscriptionRow for mapper in state.all_mappers):
        state.session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _count_change(session: Session) -> None:
    """Any end of a transaction that wrote subscriptions: read them again (a rollback too)."""
    if session.info.pop(_CHANGED, False):
        _Changes.count += 1
