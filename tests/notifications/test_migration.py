"""The hand-written migration creates exactly the tables the code maps, and downgrades."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

import services.notifications.storage.tables  # noqa: F401  (maps the tables on Base)
from shared.db import Base
from shared.migrate import alembic_config, upgrade

OURS = {"subscription", "delivery", "delivery_attempt", "inbox_entry"}


def _table_of(diff: Any) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    for part in item[1:]:
        table = getattr(part, "table", None)
        if table is not None:
            return str(table.name)
        name = part if isinstance(part, str) else getattr(part, "name", None)
        if isinstance(name, str) and name in OURS:
            return name
    return None


def test_migration_matches_the_models(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'n.db'}"
    upgrade("notifications", url)
    engine = create_engine(f"sqlite:///{tmp_path / 'n.db'}")
    with engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) >= OURS
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = [d for d in compare_metadata(context, Base.metadata) if _table_of(d) in OURS]
    engine.dispose()
    assert diffs == []


def test_migration_downgrades_cleanly(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'n.db'}"
    upgrade("notifications", url)
    command.downgrade(alembic_config("notifications", url), "notifications@base")
    engine = create_engine(f"sqlite:///{tmp_path / 'n.db'}")
    with engine.connect() as connection:
        left = set(inspect(connection).get_table_names())
    engine.dispose()
    assert not left & OURS
