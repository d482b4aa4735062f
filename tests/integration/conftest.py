"""Fixtures of the integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from shared.settings import PlatformSettings
from tests.integration.consumer_harness import Harness, consumer_harness


@pytest.fixture
async def harness(settings: PlatformSettings, unique: str) -> AsyncIterator[Harness]:
    async with consumer_harness(settings, unique) as started:
        yield started
