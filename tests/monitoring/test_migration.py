"""The hand-written migration creates exactly the tables the code maps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

import services.monitoring.storage.tables  # noqa: F401  (maps the tables on Base)
from shared.db import Base
from shared.migrate import alembic_config, upgrade

OURS = {
    "monitored_programme",
    "plan_indicator",
    "indicator_result",
    "indicator_result_revision",
    "programme_evaluation",
    "incident_report",
    "monitoring_flag",
    "monitored_country_risk",
}


def _table_of(diff: Any) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    for part in item[1:]:
        name = getattr(part, "name", None) if not isinstance(part, str) else part
        table = getattr(part, "table", None)
        if table is not None:
            return str(table.name)
        if isinstance(name, str) and name in OURS:
            return name
    return None


def test_migration_matches_the_models(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'monitoring.db'}"
    upgrade("monitoring", url)
    engine = create_engine(f"sqlite:///{tmp_path / 'monitoring.db'}")
    with engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) >= OURS
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = [d for d in compare_metadata(context, Base.metadata) if _table_of(d) in OURS]
    engine.dispose()
    assert diffs == []


def test_migration_downgrades_cleanly(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'monitoring.db'}"
    upgrade("monitoring", url)
    command.downgrade(alembic_config("monitoring", url), "monitoring@base")
    engine = create_engine(f"sqlite:///{tmp_path / 'monitoring.db'}")
    with engine.connect() as connection:
        left = set(inspect(connection).get_table_names())
    engine.dispose()
    assert not left & OURS
