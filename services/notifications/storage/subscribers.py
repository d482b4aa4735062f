"""The subscriptions events are routed to, kept in memory while their version stands.

Every event of the domain topics is routed, most to nobody, and reading and
parsing every subscription for each one cost more than the routing itself. So
the routes are kept, labelled with the subscriptions' *version*: a number in
the database (``subscriptions_version``) that every transaction changing a
subscription raises (``service_layer/changes.py``), whichever replica runs it.

Each routing transaction reads the version once (one primary-key SELECT; the
transaction that handles a consumed batch reads it for its first event and
reuses it for the rest) and reads the routes again, in that same transaction,
only when the version is newer than the cached routes'. Staleness is bounded by
the routing transaction itself: a change committed, on any replica, before a
batch's transaction read the version is seen by every event of that batch; a
change committing while the batch is being handled is concurrent with it and
counts from the next batch. The version is read before the routes, so routes
read at a moment when a change commits are at least as new as their label:
the worst case is one read too many, never routes older than their label.

A transaction that changed subscriptions itself routes by its own view of
them, uncached, until it ends (its version is not committed yet; a rollback
must leave no trace in the cache).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.domain.subscriptions import Subscriber
from services.notifications.storage import subscriptions

#: Marks a session whose transaction changed subscriptions (in ``Session.info``).
_CHANGED = "notifications.subscriptions-changed"
#: The transaction that read the subscriptions' version, and the version it read.
_VERSION = "notifications.subscriptions-version"


class SubscriberCache:
    """The routable subscriptions, read again whenever their version was raised."""

    def __init__(self) -> None:
        #: The version the cached routes were read at (``None``: not read yet).
        self._version: int | None = None
        self._subscribers: tuple[Subscriber, ...] = ()

    def changed_in(self, session: AsyncSession) -> None:
        """``session``'s transaction changes subscriptions: it routes by its own view."""
        session.sync_session.info[_CHANGED] = True

    @property
    def version(self) -> int | None:
        """The version the cached routes were read at."""
        return self._version

    async def subscribers(self, session: AsyncSession) -> tuple[Subscriber, ...]:
        """Every routable subscription in creation order, as of ``session``'s transaction.

        A session that changed subscriptions itself and has not ended sees
        them through its own transaction, uncached.
        """
        if session.sync_session.info.get(_CHANGED):
            return tuple(Subscriber.of(s) for s in await subscriptions.routable(session))
        current = await _version_in(session)
        if self._version is None or self._version < current:
            found = tuple(Subscriber.of(s) for s in await subscriptions.routable(session))
            # Another routing may have read newer ones meanwhile: the newest are kept.
            if self._version is None or self._version < current:
                self._subscribers, self._version = found, current
            return found
        return self._subscribers


async def _version_in(session: AsyncSession) -> int:
    """The subscriptions' version as ``session``'s current transaction read it (once)."""
    sync = session.sync_session
    seen = sync.info.get(_VERSION)
    transaction = sync.get_transaction()
    if seen is not None and transaction is not None and seen[0] is transaction:
        version: int = seen[1]
        return version
    version = await subscriptions.version(session)
    sync.info[_VERSION] = (sync.get_transaction(), version)
    return version
