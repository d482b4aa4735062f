"""Test session wiring: a real Kafka broker for every test that needs one.

The suite runs its own broker on 127.0.0.1:19092 (data under ``var/test-kafka``)
so it never mixes records with a ``make up`` stack on 9092. A broker already
answering there is reused; one the session started is stopped at the end unless
``TASKFORCE_TEST_KEEP_KAFKA=1``. Set ``TASKFORCE_TEST_KAFKA`` to a bootstrap
address to use some other running broker instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.kafka_local import PROJECT_ROOT, LocalKafka
from shared.settings import PlatformSettings

TEST_VAR = Path(os.environ.get("TASKFORCE_TEST_VAR_DIR", PROJECT_ROOT / "var" / "test"))


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    external = os.environ.get("TASKFORCE_TEST_KAFKA")
    if external:
        yield external
        return
    broker = LocalKafka(home=TEST_VAR / "kafka", broker_port=19092, controller_port=19093)
    started = not broker.answering()
    broker.start()
    os.environ["KAFKA_BOOTSTRAP_SERVERS"] = broker.bootstrap
    yield broker.bootstrap
    if started and os.environ.get("TASKFORCE_TEST_KEEP_KAFKA") != "1":
        broker.stop()


@pytest.fixture(scope="session")
def local_kafka(kafka_bootstrap: str) -> LocalKafka:
    """The test broker itself, for tests that stop and restart it."""
    return LocalKafka(home=TEST_VAR / "kafka", broker_port=19092, controller_port=19093)


@pytest.fixture
def settings(kafka_bootstrap: str, tmp_path: Path) -> PlatformSettings:
    """Settings for one test: its own var dir and database, the test broker, fast retries."""
    return PlatformSettings(
        var_dir=tmp_path,
        kafka_bootstrap_servers=kafka_bootstrap,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'service.db'}",
        consumer_backoff_initial_s=0.01,
        consumer_backoff_max_s=0.05,
        consumer_max_attempts=3,
        outbox_poll_interval_s=0.2,
    )


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:12]
