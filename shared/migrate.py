"""Run a service's Alembic migrations: the shared tables plus its own."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

SHARED_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SERVICES_DIR = Path(__file__).resolve().parents[1] / "services"


def alembic_config(service: str, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SHARED_MIGRATIONS))
    locations = [SHARED_MIGRATIONS / "versions"]
    own = SERVICES_DIR / service / "migrations" / "versions"
    if own.is_dir():
        locations.append(own)
    config.set_main_option("version_locations", " ".join(str(p) for p in locations))
    config.set_main_option("path_separator", "space")
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(service: str, database_url: str) -> None:
    command.upgrade(alembic_config(service, database_url), "heads")


async def upgrade_async(service: str, database_url: str) -> None:
    """Alembic's env runs its own event loop, so it gets a thread of its own."""
    await asyncio.to_thread(upgrade, service, database_url)
