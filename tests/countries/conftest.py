"""The countries service as the tests drive it: the real app, its runtime, a real broker.

One app per test module (starting a runtime migrates a database, provisions
topics and starts a producer, which is too slow to repeat for every test);
tests that need an empty database take ``fresh_countries``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from services.countries.app import create_app
from shared.settings import PlatformSettings
from tests.countries.support import Countries


async def _started(var: Path, kafka_bootstrap: str) -> AsyncIterator[Countries]:
    settings = PlatformSettings(
        var_dir=var,
        kafka_bootstrap_servers=kafka_bootstrap,
        database_url=f"sqlite+aiosqlite:///{var / 'countries.db'}",
        outbox_poll_interval_s=0.2,
        jwt_secret="countries-tests-" + "x" * 40,
    )
    app = create_app(settings)
    await app.state.runtime.start()
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Countries(app, settings, client)
    finally:
        await app.state.runtime.stop()


@pytest.fixture(scope="module")
async def countries(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Countries]:
    async for service in _started(tmp_path_factory.mktemp("countries"), kafka_bootstrap):
        yield service


@pytest.fixture
async def fresh_countries(kafka_bootstrap: str, tmp_path: Path) -> AsyncIterator[Countries]:
    async for service in _started(tmp_path, kafka_bootstrap):
        yield service
