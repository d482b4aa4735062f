"""Database engine and sessions: one SQLite file per service, PostgreSQL by URL.

The same SQLAlchemy 2 async code runs on both; only ``DATABASE_URL`` differs.
Schema changes are Alembic migrations (see ``shared/migrations``).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Engine, MetaData, Select, event, func, select
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for every table of every service (each in its own database)."""

    metadata = MetaData(naming_convention=NAMING)


def make_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_async_engine(url, pool_pre_ping=True)


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def fetch_page(
    session: AsyncSession,
    query: Select[Any],
    *order_by: Any,
    offset: int,
    limit: int,
) -> tuple[list[Any], int]:
    """One page of ``query``'s rows in the given order, and how many rows there are in all."""
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(query.order_by(*order_by).offset(offset).limit(limit))
    return list(rows), int(total or 0)


# -- one writer at a time per SQLite database -----------------------------------
#
# SQLite lets one transaction write at a time. Left to itself, a second writer in
# the same process polls for the lock in SQLite's busy handler, sleeping 1, 2, 5
# ... up to 100 ms between tries: under load the waits, not the work, take the
# time (a profile of the monitoring service at 100 requests/s showed three
# quarters of its samples in the database threads). Units of work on SQLite take
# this process's gate first, so they queue on the event loop in arrival order and
# start the moment the previous one commits. PostgreSQL needs no gate.

_GATES: weakref.WeakKeyDictionary[Engine, weakref.WeakKeyDictionary[Any, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)
#: Engines whose gate the current task holds: a unit of work opened inside another
#: (same task) goes on under the outer one instead of waiting for itself.
_HELD: ContextVar[frozenset[int]] = ContextVar("sqlite_gates_held", default=frozenset())


def _gate(engine: Engine) -> asyncio.Lock:
    per_loop = _GATES.setdefault(engine, weakref.WeakKeyDictionary())
    loop = asyncio.get_running_loop()
    lock = per_loop.get(loop)
    if lock is None:
        lock = per_loop[loop] = asyncio.Lock()
    return lock


@asynccontextmanager
async def write_gate(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[None]:
    """Hold this process's turn to write to the sessions' SQLite database (no-op elsewhere)."""
    bind = sessions.kw.get("bind")
    if not isinstance(bind, AsyncEngine) or bind.dialect.name != "sqlite":
        yield
        return
    engine = bind.sync_engine
    held = _HELD.get()
    if id(engine) in held:
        yield
        return
    async with _gate(engine):
        token = _HELD.set(held | {id(engine)})
        try:
            yield
        finally:
            _HELD.reset(token)
