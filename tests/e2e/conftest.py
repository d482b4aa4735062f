"""The e2e stack fixture: one fresh stack (four processes, a receiver) per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.events.catalogue import SERVICES
from tests.e2e.stack import Stack


@pytest.fixture(scope="module")
def stack(
    request: pytest.FixtureRequest, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    base = getattr(request.module, "BASE_PORT", 18101)
    ports = {name: base + i for i, name in enumerate(SERVICES)}
    running = Stack.start(tmp_path_factory.mktemp("e2e"), kafka_bootstrap, ports)
    try:
        yield running
    finally:
        running.close()
