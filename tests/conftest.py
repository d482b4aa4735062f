"""Test session wiring: a real, secured Kafka broker for every test that needs one.

The suite runs its own broker on 127.0.0.1:19092 (data under ``var/test/kafka``,
passwords under ``var/test/secrets/kafka``) so it never mixes records with a
``make up`` stack on 9092. It is secured like any other: SASL/SCRAM on every
connection, ACLs from the catalogue, provisioned once per session as admin. A
broker already answering there is reused; one the session started is stopped at
the end unless ``TASKFORCE_TEST_KEEP_KAFKA=1``; ``TASKFORCE_TEST_KAFKA_PORT`` moves
it (the controller takes the next port). Set ``TASKFORCE_TEST_KAFKA`` to
a bootstrap address (and ``TASKFORCE_KAFKA_SECRETS_DIR`` to its passwords) to
use some other running broker instead; that run must be serial.

Run in parallel (``pytest -n 2``, as ``make test`` does), every xdist worker
starts a broker of its own, on ports and under a var dir of its own
(``tests/workers.py``); the jars they share are fetched by one worker at a time.
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
from tests.workers import FILE_SECONDS, WORKER, exclusive, file_of, kafka_port, longest_first

# Every PlatformSettings a test builds, and every process it starts, finds the
# test broker's passwords without being told.
os.environ["TASKFORCE_KAFKA_SECRETS_DIR"] = str(TEST_SECRETS)


def pytest_configure(config: pytest.Config) -> None:
    """Refuse a parallel run on an external broker before any worker starts."""
    external = os.environ.get("TASKFORCE_TEST_KAFKA")
    if external and getattr(config.option, "numprocesses", None):
        raise pytest.UsageError(
            f"TASKFORCE_TEST_KAFKA={external}: parallel workers would share that one broker, "
            "and the tests that restart it or run stacks would meet there; add -n 0"
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On xdist workers: the longest test files first (a serial run keeps file order)."""
    if WORKER is not None:
        last = config.cache.get(FILE_SECONDS, {}) if config.cache is not None else {}
        longest_first(items, last if isinstance(last, dict) else {})


#: Seconds per test file in this run (under xdist the controller's reports cover all).
_file_seconds: dict[str, float] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if WORKER is None:
        name = file_of(report.nodeid)
        _file_seconds[name] = _file_seconds.get(name, 0.0) + report.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Keep this run's file times, so the next parallel run starts the longest first."""
    cache = session.config.cache
    if WORKER is None and _file_seconds and cache is not None:
        known = cache.get(FILE_SECONDS, {})
        cache.set(FILE_SECONDS, {**(known if isinstance(known, dict) else {}), **_file_seconds})


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    external = os.environ.get("TASKFORCE_TEST_KAFKA")
    if external:
        _provision(external)
        yield external
        return
    broker = suite_broker()
    started = not broker.answering()
    # Workers starting at once would each fetch the jars into the one shared directory.
    with exclusive(broker.libs.parent / ".fetch.lock"):
        broker.fetch()
    broker.start()
    os.environ["KAFKA_BOOTSTRAP_SERVERS"] = broker.bootstrap
    try:
        _provision(broker.bootstrap)
    except BaseException:
        # No teardown runs for a fixture that failed: a broker it started would be left.
        if started:
            broker.stop()
        raise
    yield broker.bootstrap
    if started and os.environ.get("TASKFORCE_TEST_KEEP_KAFKA") != "1":
        broker.stop()


def suite_broker() -> LocalKafka:
    """This worker's broker (the only one in a serial run)."""
    port = kafka_port()
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
