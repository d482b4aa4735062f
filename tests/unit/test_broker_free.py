"""Tests not marked ``kafka`` run broker-free, and reaching for Kafka there fails at once.

This module is not marked ``kafka``: what it checks is the environment every
such test runs in (``tests.harness.forbidding_kafka``).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from pydantic import SecretStr

from services.countries.app import create_app
from shared.kafka.admin import KafkaAdmin
from shared.kafka.security import Credentials
from shared.service import ServiceRuntime
from shared.settings import PlatformSettings
from tests.countries.support import Countries
from tests.harness import BROKER_FREE, KafkaForbidden, is_broker_free, running, settings_for

#: Far less than any client's own timeouts or the runtime's wait for a broker.
AT_ONCE_S = 2.0


async def test_a_broker_free_app_serves_its_api_without_a_broker(tmp_path: Path) -> None:
    settings = settings_for("countries", tmp_path, None)
    assert is_broker_free(settings)
    async with running(create_app(settings), Countries) as service:
        assert not service.app.state.runtime.kafka
        response = await service.get("/countries")
        assert response.status_code == 200, response.text
        assert service.app.state.runtime.producer is None


async def test_an_aiokafka_client_fails_at_once() -> None:
    producer = AIOKafkaProducer(bootstrap_servers="127.0.0.1:9092")
    started = time.monotonic()
    with pytest.raises(KafkaForbidden, match="not marked kafka"):
        await producer.start()
    assert time.monotonic() - started < AT_ONCE_S
    await producer.stop()


async def test_a_runtime_started_for_the_broker_fails_at_once_instead_of_retrying(
    tmp_path: Path,
) -> None:
    """The runtime waits boundedly for a broker that is not up yet; here it must not wait."""
    runtime = ServiceRuntime.create("countries", settings_for("countries", tmp_path, None))
    assert runtime.kafka
    started = time.monotonic()
    with pytest.raises(KafkaForbidden):
        await asyncio.wait_for(runtime.start(), timeout=30)
    assert time.monotonic() - started < AT_ONCE_S
    await runtime.stop()


def test_the_admin_client_fails(tmp_path: Path) -> None:
    with pytest.raises(KafkaForbidden):
        KafkaAdmin(PlatformSettings(var_dir=tmp_path), Credentials("admin", SecretStr("x")))


def test_settings_from_the_environment_name_no_broker(tmp_path: Path) -> None:
    settings = PlatformSettings(var_dir=tmp_path)
    assert settings.kafka_bootstrap_servers == BROKER_FREE
    assert is_broker_free(settings)
