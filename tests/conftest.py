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

Only tests marked ``kafka`` get the broker, and it starts when the first of
them asks for it: ``pytest -m "not kafka"`` never starts one. The other tests
run broker-free (``tests.harness``): their apps start without Kafka, and any
Kafka client they make fails at once (``forbidding_kafka``), as does asking
for the broker's fixtures without the marker.
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
from tests.databases import ENGINES, TestDatabases, keep_server, start_suite_postgres
from tests.harness import bootstrap_for, forbidding_kafka, settings_for
from tests.support import TEST_SECRETS, TEST_VAR

#: The fixtures that are the broker: only tests marked ``kafka`` may take them.
BROKER_FIXTURES = ("kafka_bootstrap", "local_kafka")

# Every PlatformSettings a test builds, and every process it starts, finds the
# test broker's passwords without being told.
os.environ.setdefault("TASKFORCE_KAFKA_SECRETS_DIR", str(TEST_SECRETS))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test that takes the broker without the ``kafka`` marker fails before it starts one."""
    if item.get_closest_marker("kafka") is None:
        taken = [name for name in BROKER_FIXTURES if name in getattr(item, "fixturenames", ())]
        if taken:
            pytest.fail(f"{item.nodeid} takes {', '.join(taken)} but is not marked kafka")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> object:
    """Tests not marked ``kafka`` run, fixtures and all, with Kafka forbidden."""
    if item.get_closest_marker("kafka") is not None:
        return (yield)
    with forbidding_kafka(item.nodeid):
        return (yield)


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


@pytest.fixture(scope="session", params=ENGINES)
def database(request: pytest.FixtureRequest) -> Iterator[TestDatabases]:
    """The engine a database test runs on: each such test runs once per engine."""
    if request.param == "sqlite":
        yield TestDatabases("sqlite")
        return
    server = start_suite_postgres()
    yield TestDatabases("postgresql", server)
    if not keep_server():
        server.stop()


@pytest.fixture
def settings(
    request: pytest.FixtureRequest, tmp_path: Path, database: TestDatabases
) -> PlatformSettings:
    """Settings for one test: its own var dir and database, fast retries; the test broker
    for a test marked ``kafka``, none (broker-free) for the others."""
    bootstrap = bootstrap_for(request)
    changes: dict[str, object] = {}
    if bootstrap is not None:
        changes["kafka_secrets_dir"] = TEST_SECRETS
    return settings_for("service", tmp_path, bootstrap, database=database, **changes)


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:12]
