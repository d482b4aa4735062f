"""One service app under test, in-process: what the per-service test suites share.

Each suite's conftest subclasses ``ServiceUnderTest`` with its write scope,
default organisation and tables, adds its own domain helpers, and binds the
rest: ``settings_for`` its database, ``running`` its ``create_app``, and
``app_fixture`` the app its tests take.

An app runs on the test broker or broker-free. Broker-free (settings from
``settings_for`` without a bootstrap address) it migrates its database and
serves its API, and the consumer's ``process`` runs on events handed to it
(``deliver``), but nothing connects to Kafka: no topic check, no producer, no
relay, no consumer group. That is how the API tests run, in seconds and with no
broker; a test that needs one is marked ``kafka`` and gets the app on the
session's broker. ``forbidding_kafka`` makes the marker honest: while a test not
marked ``kafka`` runs, any Kafka client fails at once instead of waiting for a
broker that is not there.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, ClassVar, NoReturn, Protocol, TypeVar

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.client import AIOKafkaClient
from fastapi import FastAPI
from sqlalchemy import text

import shared.kafka.admin
from shared.consumer import ConsumedRecord, Outcome
from shared.events.catalogue import CATALOGUE, EventData, entry_for, topic_of
from shared.events.envelope import CloudEvent, new_event
from shared.http.auth import issue_token
from shared.kafka.principals import stack_principals
from shared.kafka.security import ensure_credentials
from shared.kafka_local import LocalKafka
from shared.outbox import OutboxMessage
from shared.service import ServiceRuntime
from shared.settings import PlatformSettings
from tests.databases import TestDatabases
from tests.support import (
    TEST_VAR,
    ends,
    eventually,
    kafka_options,
    own_group,
    start_group_at_end,
)

S = TypeVar("S")
#: How a suite builds its client object: ``Service(app, settings, client)``.
UnderTest = Callable[[FastAPI, PlatformSettings, httpx.AsyncClient], S]

#: The bootstrap address of broker-free settings: ``.invalid`` never resolves, and no
#: client gets as far as resolving it while Kafka is forbidden.
BROKER_FREE = "broker-free.invalid:9092"

#: The relay marks outbox rows sent at its own pace: the rows themselves are what count.
_SNAPSHOT = {"outbox_message": "SELECT id, event_id, event_type, key, value FROM outbox_message"}


@dataclass(frozen=True)
class Emitted:
    """An event in the outbox, decoded."""

    type: str
    key: str
    data: dict[str, Any]

    @property
    def name(self) -> str:
        return self.type.rsplit(".", 1)[-1]


@dataclass
class ServiceUnderTest:
    """The app under test, its settings and an in-process client."""

    write_scope: ClassVar[str]
    default_organisation: ClassVar[str] = "am"
    #: Tables compared by ``snapshot`` ("no state change and no event").
    tables: ClassVar[tuple[str, ...]] = ()

    app: FastAPI
    settings: PlatformSettings
    client: httpx.AsyncClient

    @property
    def runtime(self) -> ServiceRuntime:
        runtime: ServiceRuntime = self.app.state.runtime
        return runtime

    def auth(
        self, organisation: str | None = None, scopes: Sequence[str] | None = None
    ) -> dict[str, str]:
        token = issue_token(
            self.settings,
            organisation or self.default_organisation,
            list(scopes) if scopes is not None else [self.write_scope],
        )
        return {"Authorization": f"Bearer {token}"}

    async def emitted(self, key: str | None = None) -> list[Emitted]:
        async with self.runtime.sessions() as session:
            rows = (await session.execute(OutboxMessage.__table__.select())).all()
        found = [
            Emitted(row.event_type, row.key, json.loads(row.value))
            for row in sorted(rows, key=lambda r: r.id)
        ]
        return [e for e in found if key is None or e.key == key]

    async def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table: equal snapshots mean no state change and no event."""
        async with self.runtime.sessions() as session:
            return {
                table: [
                    tuple(r)
                    for r in await session.execute(
                        text(_SNAPSHOT.get(table, f"SELECT * FROM {table}"))
                    )
                ]
                for table in self.tables
            }


# -- settings and the running app ---------------------------------------------------------


def settings_for(
    service: str,
    var_dir: Path,
    bootstrap: str | None,
    *,
    database: TestDatabases | None = None,
    **changes: Any,
) -> PlatformSettings:
    """One app's settings: its var dir and database, fast retries; broker-free without bootstrap.

    The database is a new one on ``database``'s engine, a SQLite file in ``var_dir``
    without it.
    """
    url = f"sqlite+aiosqlite:///{var_dir / f'{service}.db'}"
    values: dict[str, Any] = {
        "var_dir": var_dir,
        "database_url": url if database is None else database.url_for(service, var_dir),
        "consumer_backoff_initial_s": 0.01,
        "consumer_backoff_max_s": 0.05,
        "consumer_max_attempts": 3,
        "outbox_poll_interval_s": 0.2,
    }
    if bootstrap is None:
        values |= {
            "kafka_bootstrap_servers": BROKER_FREE,
            "kafka_secrets_dir": broker_free_secrets(),
        }
    else:
        values["kafka_bootstrap_servers"] = bootstrap
    return PlatformSettings(**(values | changes))


def is_broker_free(settings: PlatformSettings) -> bool:
    return settings.kafka_bootstrap_servers == BROKER_FREE


@cache
def broker_free_secrets() -> Path:
    """Passwords for every principal, which no broker knows: building an app reads its own.

    Broker-free tests must not depend on a broker having run here once and
    written the real ones.
    """
    secrets = TEST_VAR / "broker-free" / "secrets"
    for principal in stack_principals(PlatformSettings(kafka_secrets_dir=secrets)):
        ensure_credentials(secrets, principal.name)
    return secrets


@asynccontextmanager
async def running(
    app: FastAPI, under_test: UnderTest[S], *, group: str | None = None
) -> AsyncIterator[S]:
    """The app with its runtime started, and a client for it.

    On the broker the consumer reads with a group of its own (the service's real
    group must not be moved by tests), positioned at the end of the topics it
    reads, since the test broker keeps earlier runs' records; ``group`` reuses a
    group as it stands instead.
    """
    runtime: ServiceRuntime = app.state.runtime
    settings = runtime.settings
    if is_broker_free(settings):
        runtime.kafka = False
    elif runtime.consumer.handlers:
        runtime.consumer.group_id = group or own_group(
            settings, runtime.service, uuid.uuid4().hex[:12]
        )
        if group is None:
            for topic in runtime.consumer.topics:
                await start_group_at_end(
                    settings.kafka_bootstrap_servers, runtime.consumer.group_id, topic
                )
    await runtime.start()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield under_test(app, settings, client)
    finally:
        await runtime.stop()


def bootstrap_for(request: pytest.FixtureRequest) -> str | None:
    """The session broker for a test (or module) marked ``kafka``; ``None``: broker-free."""
    if request.node.get_closest_marker("kafka") is None:
        return None
    bootstrap: str = request.getfixturevalue("kafka_bootstrap")
    return bootstrap


class SettingsFor(Protocol):
    """A suite's ``settings_for``: its app's settings in a var dir, on the broker or not,
    its database on the given engine."""

    def __call__(
        self, var_dir: Path, bootstrap: str | None, *, database: TestDatabases | None = None
    ) -> PlatformSettings: ...


def app_fixture(
    start: Callable[[PlatformSettings], AbstractAsyncContextManager[S]],
    settings: SettingsFor,
    *,
    name: str = "service",
    scope: str = "module",
) -> Any:
    """The fixture ``name``: an app ``start``-ed on ``settings`` for the module (or test).

    A conftest binds it to the same name (``service = app_fixture(...)``).

    Starting a runtime migrates a database, so tests share one app per module;
    a ``scope="function"`` fixture gives a test an empty database of its own.
    The app is on the broker when the module (for a function fixture, the test)
    is marked ``kafka``, broker-free otherwise; its database is on each of the
    suite's engines in turn (``tests.databases``).
    """

    async def started(
        request: pytest.FixtureRequest,
        tmp_path_factory: pytest.TempPathFactory,
        database: TestDatabases,
    ) -> AsyncIterator[S]:
        var = tmp_path_factory.mktemp(name)
        async with start(settings(var, bootstrap_for(request), database=database)) as service:
            yield service

    return pytest.fixture(started, scope=scope, name=name)  # type: ignore[call-overload]


# -- events handed to the consumer --------------------------------------------------------


def cloud_event(data: EventData, *, source: str | None = None) -> CloudEvent:
    """``data`` as its producing service would publish it (or as ``source`` would)."""
    entry = entry_for(type(data))
    return new_event(
        source=source or f"urn:nld:oin:00000000000000000000:systeem:{entry.service}",
        type=entry.type,
        data=data.to_data(),
        subject=data.aggregate_id(),
        dataschema=entry.dataschema,
    )


async def deliver(service: ServiceUnderTest, event: CloudEvent) -> Outcome:
    """Run the service's consumer on ``event`` as if it came from its topic (no broker hop)."""
    record = event.to_record(CATALOGUE[event.type].topic, event.subject)
    consumed = ConsumedRecord(record.topic, 0, 0, record.key, record.value, list(record.headers))
    return await service.runtime.consumer.process(consumed)


# -- what an app published (on the broker) -----------------------------------------------

Offsets = dict[TopicPartition, int]


async def outbox_drained(service: ServiceUnderTest) -> bool:
    """The relay has published everything committed so far."""
    relay = service.runtime.relay
    return relay is not None and await relay.backlog() == 0


async def published_since(
    service: ServiceUnderTest, start: Offsets
) -> list[ConsumerRecord[bytes, bytes]]:
    """Everything the service published to its topic since ``start``, once its outbox is empty."""
    await eventually(lambda: outbox_drained(service))
    bootstrap = service.settings.kafka_bootstrap_servers
    stop = await ends(bootstrap, topic_of(service.runtime.service))
    consumer = AIOKafkaConsumer(
        **kafka_options(bootstrap), enable_auto_commit=False, isolation_level="read_committed"
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        consumer.assign(list(start))
        for partition, offset in start.items():
            consumer.seek(partition, offset)
        pending = {p for p in start if stop[p] > start[p]}
        while pending:
            batch = await consumer.getmany(timeout_ms=500)
            for partition, items in batch.items():
                records.extend(items)
                if await consumer.position(partition) >= stop[partition]:
                    pending.discard(partition)
    finally:
        await consumer.stop()
    return records


# -- the kafka marker, kept honest --------------------------------------------------------


class KafkaForbidden(BaseException):
    """A test not marked ``kafka`` reached for Kafka.

    A ``BaseException``, so that no retry loop or probe of the code under test
    (they catch ``Exception``) absorbs it and waits: the test is at fault, and
    fails at once.
    """


@contextmanager
def forbidding_kafka(test: str) -> Iterator[None]:
    """While it lasts, every Kafka client (aiokafka, librdkafka admin) and broker fails to start.

    Settings built from the environment meanwhile name no broker and find the
    broker-free passwords, so an app a test builds itself needs no broker either.
    """

    def refuse(*_args: Any, **_kwargs: Any) -> NoReturn:
        raise KafkaForbidden(f"{test} is not marked kafka but connects to Kafka")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(AIOKafkaClient, "bootstrap", refuse)
        patch.setattr(shared.kafka.admin, "AdminClient", refuse)
        patch.setattr(LocalKafka, "_java_cmd", refuse)  # what runs the broker and its tools
        patch.setenv("KAFKA_BOOTSTRAP_SERVERS", BROKER_FREE)
        patch.setenv("TASKFORCE_KAFKA_SECRETS_DIR", str(broker_free_secrets()))
        yield
