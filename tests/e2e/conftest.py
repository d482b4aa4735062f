"""The e2e stack fixture: one fresh stack (four processes, a receiver) per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.stack import Stack
from tests.workers import service_ports


@pytest.fixture(scope="module")
def stack(
    request: pytest.FixtureRequest, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    base = getattr(request.module, "BASE_PORT", 18101)
    ports = service_ports(base)
    running = Stack.start(tmp_path_factory.mktemp("e2e"), kafka_bootstrap, ports)
    try:
        yield running
    finally:
        running.close()
