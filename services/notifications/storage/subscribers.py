"""The subscriptions events are routed to, kept in memory until one of them changes.

Every event of the domain topics is routed, most to nobody, and reading and
parsing every subscription for each one cost more than the routing itself. The
routes are kept and read again only after a transaction that changed a
subscription has committed in this process. The use cases that write
subscriptions say so explicitly (``service_layer/changes.py``): they mark
their own transaction (which then routes by what it sees itself, uncached,
until it ends) and register :meth:`SubscriberCache.forget` to run after its
commit. A rolled-back change was never cached, so it needs nothing. A write
from another process on the same database is not seen; the service runs as
one process per database (see the README's limits).

The routes are read in a session of their own, never in the caller's
transaction: a transaction's snapshot may predate a change already counted,
and routes read from it would be kept as current.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.domain.subscriptions import Subscriber
from services.notifications.storage import subscriptions

#: Marks a session whose transaction changed subscriptions (in ``Session.info``).
_CHANGED = "notifications.subscriptions-changed"


class SubscriberCache:
    """The routable subscriptions, read again only after a change to one has committed."""

    def __init__(self) -> None:
        #: How many committed transactions changed subscriptions.
        self._changes = 0
        self._read_at: int | None = None
        self._subscribers: tuple[Subscriber, ...] = ()

    def changed_in(self, session: AsyncSession) -> None:
        """``session``'s transaction changes subscriptions: it routes by its own view."""
        session.sync_session.info[_CHANGED] = True

    def forget(self) -> None:
        """A change to subscriptions committed: the next routing reads them again."""
        self._changes += 1

    async def subscribers(self, session: AsyncSession) -> tuple[Subscriber, ...]:
        """Every routable subscription in creation order; ``session`` lends only its engine.

        A session that changed subscriptions itself and has not ended sees
        them through its own transaction, uncached.
        """
        if session.sync_session.info.get(_CHANGED):
            return tuple(Subscriber.of(s) for s in await subscriptions.routable(session))
        changes = self._changes
        if self._read_at != changes:
            # Counted before reading, so a change committed meanwhile reads again next time.
            async with AsyncSession(session.bind) as fresh:
                found = await subscriptions.routable(fresh)
            self._subscribers = tuple(Subscriber.of(s) for s in found)
            self._read_at = changes
        return self._subscribers
