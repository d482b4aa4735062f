"""Alembic environment shared by every service.

Each service's database gets the shared tables (outbox, inbox) from
``shared/migrations/versions`` and its own tables from
``services/<name>/migrations/versions``; ``shared.migrate`` wires the paths.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

import shared.inbox
import shared.outbox  # noqa: F401
from shared.db import Base, make_engine

config = context.config
target_metadata = Base.metadata
#: Replicas starting together on one PostgreSQL database migrate one after the other: each
#: waits for this transaction-level lock, then finds the version the first one left.
MIGRATION_LOCK = 7_261_001


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        context.run_migrations()


async def _run_online() -> None:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_online())
