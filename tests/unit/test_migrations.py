"""Each service's hand-written migrations create exactly the tables its code maps, and undo them.

A service's database holds its own tables (mapped in ``services.<service>``)
and the shared ones (outbox, inbox, audit trail), which come with the shared
migration. From an empty database ``<service>@head`` must match those models,
columns' types included; ``<service>@base`` must take the service's own tables
away and leave the shared ones; and upgrading again must match once more.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import shared.audit
import shared.http.idempotency
import shared.inbox
import shared.outbox  # noqa: F401  (map the shared tables on Base)
from shared.db import Base
from shared.events.catalogue import SERVICES
from shared.migrate import alembic_config, upgrade

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


def differences(engine: sa.Engine, service: str) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata_of(service)))


def tables(engine: sa.Engine) -> set[str]:
    with engine.connect() as connection:
        return set(sa.inspect(connection).get_table_names())


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    return sa.create_engine(f"sqlite:///{tmp_path / 'service.db'}")


def url_of(engine: sa.Engine) -> str:
    return f"sqlite+aiosqlite:///{engine.url.database}"


def own_tables(service: str) -> set[str]:
    return {table for table, owner in owners().items() if owner == service}


def test_every_table_is_a_services_or_shared() -> None:
    assert all(own_tables(service) for service in SERVICES)
    assert {t.name for t in Base.metadata.sorted_tables} - set(owners()) == SHARED_TABLES


@pytest.mark.parametrize("service", SERVICES)
def test_upgrading_an_empty_database_matches_the_models(service: str, engine: sa.Engine) -> None:
    upgrade(service, url_of(engine))
    assert tables(engine) >= own_tables(service) | SHARED_TABLES
    assert differences(engine, service) == []
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        for table, names in INDEXES.get(service, {}).items():
            assert names <= {i["name"] for i in inspector.get_indexes(table)}
    engine.dispose()


@pytest.mark.parametrize("service", SERVICES)
def test_downgrading_takes_the_own_tables_away_and_upgrading_again_matches(
    service: str, engine: sa.Engine
) -> None:
    url = url_of(engine)
    upgrade(service, url)
    command.downgrade(alembic_config(service, url), f"{service}@base")
    left = tables(engine)
    assert not left & own_tables(service), "the downgrade left tables of the service"
    assert left >= SHARED_TABLES, "the downgrade took the shared tables too"
    upgrade(service, url)
    assert differences(engine, service) == []
    engine.dispose()
