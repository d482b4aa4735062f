"""Each service's hand-written migrations create exactly the tables its code maps, and undo them.

A service's database holds its own tables (mapped in ``services.<service>``)
and the shared ones (outbox, inbox, audit trail), which come with the shared
migration. From an empty database ``<service>@head`` must match those models,
columns' types included; ``<service>@base`` must take the service's own tables
away and leave the shared ones; and upgrading again must match once more.
All of it on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import shared.audit
import shared.http.idempotency
import shared.inbox
import shared.outbox  # noqa: F401  (map the shared tables on Base)
from shared.db import Base, make_engine
from shared.events.catalogue import SERVICES
from shared.migrate import alembic_config, upgrade
from tests.databases import TestDatabases

T = TypeVar("T")

for _service in SERVICES:  # every service's models share ``Base``
    importlib.import_module(f"services.{_service}.storage.tables")

#: The tables that come with the shared migration, in every service's database.
SHARED_TABLES = {
    "outbox_message",
    "outbox_sequence",
    "inbox_message",
    "audit_record",
    "idempotency_key",
    "outbox_lease",
}
#: Indexes the comparison does not see (partial ones): checked by name.
INDEXES = {"programmes": {"review": {"uq_review_open_per_programme"}}}


def owners() -> dict[str, str]:
    """Each mapped table's service; the shared tables have none."""
    found: dict[str, str] = {}
    for mapper in Base.registry.mappers:
        module = mapper.class_.__module__
        if module.startswith("services."):
            found[mapper.class_.__table__.name] = module.split(".")[1]
    return found


def metadata_of(service: str) -> sa.MetaData:
    """The service's own tables and the shared ones, as the code declares them."""
    owned = owners()
    metadata = sa.MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.sorted_tables:
        if owned.get(table.name, service) == service:
            table.to_metadata(metadata)
    return metadata


def inspected(url: str, look: Callable[[sa.Connection], T]) -> T:
    """``look`` at the database through a plain connection (the async engine's own)."""

    async def run() -> T:
        engine = make_engine(url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(look)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def differences(url: str, service: str) -> list[object]:
    def compare(connection: sa.Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata_of(service)))

    return inspected(url, compare)


def tables(url: str) -> set[str]:
    return inspected(url, lambda connection: set(sa.inspect(connection).get_table_names()))


def index_names(url: str, table: str) -> set[str]:
    return inspected(
        url, lambda connection: {str(i["name"]) for i in sa.inspect(connection).get_indexes(table)}
    )


@pytest.fixture
def url(tmp_path: Path, database: TestDatabases) -> str:
    """An empty database of the engine under test."""
    return database.url_for("service", tmp_path)


def own_tables(service: str) -> set[str]:
    return {table for table, owner in owners().items() if owner == service}


def test_every_table_is_a_services_or_shared() -> None:
    assert all(own_tables(service) for service in SERVICES)
    assert {t.name for t in Base.metadata.sorted_tables} - set(owners()) == SHARED_TABLES


@pytest.mark.parametrize("service", SERVICES)
def test_upgrading_an_empty_database_matches_the_models(service: str, url: str) -> None:
    upgrade(service, url)
    assert tables(url) >= own_tables(service) | SHARED_TABLES
    assert differences(url, service) == []
    for table, names in INDEXES.get(service, {}).items():
        assert names <= index_names(url, table)


@pytest.mark.parametrize("service", SERVICES)
def test_downgrading_takes_the_own_tables_away_and_upgrading_again_matches(
    service: str, url: str
) -> None:
    upgrade(service, url)
    command.downgrade(alembic_config(service, url), f"{service}@base")
    left = tables(url)
    assert not left & own_tables(service), "the downgrade left tables of the service"
    assert left >= SHARED_TABLES, "the downgrade took the shared tables too"
    upgrade(service, url)
    assert differences(url, service) == []
