"""Test session wiring: a real, secured Kafka broker for every test that needs one.

The suite runs its own broker on 127.0.0.1:19092 (data under ``var/test/kafka``,
passwords under ``var/test/secrets/kafka``) so it never mixes records with a
``make up`` stack on 9092. It is secured like any other: SASL/SCRAM on every
connection, ACLs from the catalogue, provisioned once per session as admin. A
broker already answering there is reused; one the session started is stopped at
the end unless ``TASKFORCE_TEST_KEEP_KAFKA=1``; ``TASKFORCE_TEST_KAFKA_PORT`` moves
it (the controller takes the next port). Set ``TASKFORCE_TEST_KAFKA`` to
a bootstrap address (and ``TASKFORCE_KAFKA_SECRETS_DIR`` to its passwords) to
use some other running broker instead.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.kafka.provisioning import provision
from shared.kafka_local import LocalKafka
from shared.settings import PlatformSettings
from tests.support import TEST_SECRETS, TEST_VAR

# Every PlatformSettings a test builds, and every process it starts, finds the
# test broker's passwords without being told.
os.environ.setdefault("TASKFORCE_KAFKA_SECRETS_DIR", str(TEST_SECRETS))


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    external = os.environ.get("TASKFORCE_TEST_KAFKA")
    if external:
        _provision(external)
        yield external
        return
    broker = suite_broker()
    started = not broker.answering()
    broker.start()
    os.environ["KAFKA_BOOTSTRAP_SERVERS"] = broker.bootstrap
    _provision(broker.bootstrap)
    yield broker.bootstrap
    if started and os.environ.get("TASKFORCE_TEST_KEEP_KAFKA") != "1":
        broker.stop()


def suite_broker() -> LocalKafka:
    port = int(os.environ.get("TASKFORCE_TEST_KAFKA_PORT", "19092"))
    return LocalKafka(
        home=TEST_VAR / "kafka",
        broker_port=port,
        controller_port=port + 1,
        secrets_dir=TEST_SECRETS,
    )


def _provision(bootstrap: str) -> None:
    """The default stack's principals, topics and ACLs, as ``make up`` provisions them."""
    settings = PlatformSettings(kafka_bootstrap_servers=bootstrap, kafka_secrets_dir=TEST_SECRETS)
    asyncio.run(provision(settings))


@pytest.fixture(scope="session")
def local_kafka(kafka_bootstrap: str) -> LocalKafka:
    """The test broker itself, for tests that stop and restart it."""
    return suite_broker()


@pytest.fixture
def settings(kafka_bootstrap: str, tmp_path: Path) -> PlatformSettings:
    """Settings for one test: its own var dir and database, the test broker, fast retries."""
    return PlatformSettings(
        var_dir=tmp_path,
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_secrets_dir=TEST_SECRETS,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'service.db'}",
        consumer_backoff_initial_s=0.01,
        consumer_backoff_max_s=0.05,
        consumer_max_attempts=3,
        outbox_poll_interval_s=0.2,
    )


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:12]
