"""The hand-written migration creates exactly the tables the models describe, and undoes them."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import shared.audit
import shared.inbox
import shared.outbox  # noqa: F401
from services.countries.storage import tables
from shared.db import Base
from shared.migrate import alembic_config, upgrade


def countries_metadata() -> sa.MetaData:
    """The countries tables and the shared ones; other services' models share ``Base``."""
    own = {
        mapper.class_.__table__.name
        for mapper in Base.registry.mappers
        if mapper.class_.__module__ == tables.__name__
    }
    wanted = own | {"outbox_message", "outbox_sequence", "inbox_message", "audit_record"}
    metadata = sa.MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.sorted_tables:
        if table.name in wanted:
            table.to_metadata(metadata)
    return metadata


def test_the_migration_matches_the_models_and_downgrades(tmp_path: Path) -> None:
    path = tmp_path / "countries.db"
    upgrade("countries", f"sqlite+aiosqlite:///{path}")
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), countries_metadata()) == []
    command.downgrade(alembic_config("countries", f"sqlite+aiosqlite:///{path}"), "countries@base")
    with engine.connect() as connection:
        tables = set(sa.inspect(connection).get_table_names())
    assert "country_profile" not in tables and "risk_assessment" not in tables
    assert "outbox_message" in tables
    engine.dispose()
