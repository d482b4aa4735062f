"""What a use case that changes subscriptions or makes deliveries due registers with its commit.

Nothing listens on database sessions: each use case says, in its own unit of
work, what must follow once the change is durable (``uow.after_commit``), and
nothing follows a rollback.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notifications.context import NotificationsContext
from services.notifications.storage import subscriptions
from shared.unit_of_work import UnitOfWork


class Transactions(Protocol):
    """Where a use case that calls a receiver opens its unit of work, after the call.

    The service's runtime is one. A test call to a webhook endpoint takes up to
    the verification timeout; made inside a transaction it would hold the
    database's write turn (SQLite) that long, delaying every other writer, the
    recording of other organisations' deliveries included.
    """

    sessions: async_sessionmaker[AsyncSession]

    def unit_of_work(self) -> AbstractAsyncContextManager[UnitOfWork]: ...


async def subscriptions_changed(uow: UnitOfWork, ctx: NotificationsContext) -> None:
    """``uow`` changed subscriptions: it routes by its own view of them until it ends, and
    it raises their version, so that once it commits every routing, on every replica,
    reads them again (``storage/subscribers.py``)."""
    ctx.subscribers.changed_in(uow.session)
    await subscriptions.raise_version(uow.session)


def deliveries_due(uow: UnitOfWork, ctx: NotificationsContext) -> None:
    """``uow`` made deliveries due (or ended some): wake the worker once it commits."""
    uow.after_commit(ctx.wake.set)
