"""The countries service as the tests drive it: the real app and its runtime (``tests.harness``).

One app per test module (starting a runtime migrates a database, which is too
slow to repeat for every test), broker-free unless the module is marked
``kafka``; tests that need an empty database take ``fresh_countries``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from services.countries.app import create_app
from shared.settings import PlatformSettings
from tests import harness
from tests.countries.support import Countries
from tests.databases import TestDatabases


def settings_for(
    var_dir: Path, bootstrap: str | None, *, database: TestDatabases | None = None
) -> PlatformSettings:
    return harness.settings_for(
        "countries",
        var_dir,
        bootstrap,
        database=database,
        jwt_secret="countries-tests-" + "x" * 40,
    )


@asynccontextmanager
async def running(settings: PlatformSettings) -> AsyncIterator[Countries]:
    async with harness.running(create_app(settings), Countries) as started:
        yield started


async def _started(
    var: Path, kafka_bootstrap: str | None, database: TestDatabases | None = None
) -> AsyncIterator[Countries]:
    """The app in ``var`` (its database on ``database``): what the contract tests start."""
    async with running(settings_for(var, kafka_bootstrap, database=database)) as started:
        yield started


countries = harness.app_fixture(running, settings_for, name="countries")
fresh_countries = harness.app_fixture(
    running, settings_for, name="fresh_countries", scope="function"
)
