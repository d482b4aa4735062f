"""What every service process is made of, wired once.

A service is: its database (migrated at start), the outbox and its relay, the
consumer of other services' topics, topic provisioning, telemetry, and the HTTP
API. ``service_app`` assembles these around a service's own routers and event
handlers; the service folders add only their domain.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import uvicorn
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import for_code
from fastapi import APIRouter, FastAPI, Request, Response
from faststream.kafka import KafkaBroker
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared import metrics, telemetry
from shared.consumer import EventConsumer
from shared.db import make_engine, make_session_factory
from shared.events.catalogue import CONSUMES, dead_letter_topic_of, topic_of
from shared.kafka.broker import make_broker
from shared.kafka.producer import make_producer, outbox_producers
from shared.kafka.security import (
    Credentials,
    aiokafka_options,
    credentials_for,
)
from shared.migrate import upgrade_async
from shared.outbox import Outbox, OutboxRelay
from shared.private import keep_private
from shared.settings import PlatformSettings
from shared.unit_of_work import UnitOfWork, unit_of_work

if TYPE_CHECKING:
    from shared.handlers import On

log = logging.getLogger(__name__)
C = TypeVar("C")

#: A long-running task of a service besides the consumer and relay (e.g. a delivery worker):
#: started after the broker, cancelled first on stop.
BackgroundTask = Callable[["ServiceRuntime"], Awaitable[None]]


@dataclass
class ServiceRuntime:
    """The moving parts of one service process, started and stopped in order."""

    service: str
    settings: PlatformSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    broker: KafkaBroker
    outbox: Outbox
    consumer: EventConsumer
    #: The service's own Kafka principal: every client of the process connects as it.
    credentials: Credentials
    producer: AIOKafkaProducer | None = field(default=None, init=False)
    relay: OutboxRelay | None = field(default=None, init=False)
    _relay_task: asyncio.Task[None] | None = field(default=None, init=False)
    _telemetry: telemetry.Telemetry | None = field(default=None, init=False)
    background: list[BackgroundTask] = field(default_factory=list, init=False)
    _background_tasks: list[asyncio.Task[None]] = field(default_factory=list, init=False)
    _lag: metrics.LagProbe | None = field(default=None, init=False)
    #: ``False``: broker-free, for tests of the API alone: ``start`` migrates the database and
    #: starts the background tasks, but no topic check, producer, relay or consumer.
    kafka: bool = field(default=True, init=False)

    @classmethod
    def create(cls, service: str, settings: PlatformSettings | None = None) -> ServiceRuntime:
        settings = settings or PlatformSettings()
        engine = make_engine(settings.database_url_for(service))
        sessions = make_session_factory(engine)
        credentials = credentials_for(settings, settings.principal_of(service))
        broker = make_broker(
            settings,
            credentials,
            client_id=f"taskforce-{service}-{settings.replica_id}-consumer",
            logger=logging.getLogger(f"taskforce.{service}.broker"),
        )
        outbox = Outbox(service, settings.source_for(service))
        consumer = EventConsumer(service, settings, sessions, outbox=outbox)
        return cls(service, settings, engine, sessions, broker, outbox, consumer, credentials)

    async def start(self) -> None:
        self._telemetry = telemetry.setup_telemetry(self.service, self.settings.var_dir)
        metrics.REPLICA.labels(self.service, self.settings.replica_id).set(1)
        await upgrade_async(self.service, self.settings.database_url_for(self.service))
        if self.kafka:
            await self._start_kafka()
        self._background_tasks = [
            asyncio.create_task(_run_background(task, self), name=f"{self.service}-background-{i}")
            for i, task in enumerate(self.background)
        ]

    async def _start_kafka(self) -> None:
        """Everything that talks to the broker: topic check, producer, relay, consumer."""
        await _retry_until_kafka(self._topics_provisioned)
        # aiokafka clients bind to the running loop, so they are made here, not in create().
        self.producer = make_producer(
            self.settings,
            client_id=f"taskforce-{self.service}-{self.settings.replica_id}",
            credentials=self.credentials,
        )
        await self.producer.start()
        self.consumer.dead_letters = self.producer
        self.relay = OutboxRelay(
            self.sessions,
            outbox_producers(self.settings, self.service, self.credentials),
            wake=self.outbox.wake,
            batch_size=self.settings.outbox_batch_size,
            poll_interval=self.settings.outbox_poll_interval_s,
            service=self.service,
            lease_ttl=self.settings.outbox_lease_ttl_s,
            lease_renew_every=self.settings.outbox_lease_renew_s,
            # The replica, and a nonce for a process restarted under the same name.
            holder=f"{self.settings.replica_id}:{uuid.uuid4().hex[:8]}",
        )
        self._relay_task = asyncio.create_task(
            self.relay.run(), name=f"{self.service}-outbox-relay"
        )
        self.consumer.subscribe(self.broker)
        await self.broker.start()

    async def stop(self) -> None:
        """In-flight records finish and commit their offsets; the relay ends its batch."""
        for task in self._background_tasks:
            task.cancel()
        for task in self._background_tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._background_tasks = []
        if self.kafka:
            await self.broker.stop()
        if self.relay is not None and self._relay_task is not None:
            self.relay.stop()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self._relay_task, timeout=30)
        if self.producer is not None:
            await self.producer.stop()
        await self.engine.dispose()
        if self._telemetry is not None:
            await self._telemetry.shutdown_async()

    def unit_of_work(self) -> AbstractAsyncContextManager[UnitOfWork]:
        """A transaction for a change and the events it implies (see ``shared.unit_of_work``)."""
        return unit_of_work(self.sessions, self.outbox)

    async def _topics_provisioned(self) -> None:
        """The topics this service writes and reads exist and it may use them.

        Services do not provision: only the admin principal may create topics and
        ACLs (``taskforce kafka provision``). Until it has, this says what is missing.
        """
        wanted = [topic_of(self.service), dead_letter_topic_of(self.service)]
        wanted += [topic_of(other) for other in CONSUMES[self.service]]
        admin = AIOKafkaAdminClient(
            **aiokafka_options(self.settings, self.credentials),
            client_id=f"taskforce-{self.service}-{self.settings.replica_id}-startup",
        )
        await admin.start()
        try:
            described = await admin.describe_topics(wanted)
        finally:
            await admin.close()
        problems = [
            f"{topic['topic']}: {for_code(topic['error_code']).__name__}"
            for topic in described
            if topic["error_code"] != 0
        ]
        if problems:
            raise RuntimeError(
                f"topics not provisioned for {self.credentials.username} "
                f"({'; '.join(problems)}); run 'taskforce kafka provision'"
            )

    async def refresh_metrics(self) -> None:
        """Scrape-time measurements: the outbox backlog and the consumer group's lag."""
        if self.relay is not None:
            metrics.OUTBOX_BACKLOG.labels(self.service).set(await self.relay.backlog())
        if self._lag is None:
            self._lag = metrics.LagProbe(
                self.service,
                lambda: self.consumer.group_id,
                lambda: [c for s in self.broker.subscribers if (c := getattr(s, "consumer", None))],
            )
        await self._lag.refresh()

    async def readiness(self) -> dict[str, bool]:
        return {"database": await self._database_ok(), "kafka": await self._kafka_ok()}

    async def _database_ok(self) -> bool:
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def _kafka_ok(self) -> bool:
        try:
            return bool(await self.broker.ping(timeout=2.0))
        except Exception:
            return False

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: FastAPI) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()


async def _run_background(task: BackgroundTask, runtime: ServiceRuntime) -> None:
    await task(runtime)


async def _retry_until_kafka(step: Callable[[], Any], attempts: int = 30) -> None:
    """Services may start before the broker answers: wait for it, boundedly."""
    for attempt in range(1, attempts + 1):
        try:
            await step()
            return
        except Exception as exc:
            if attempt == attempts:
                raise
            log.warning("Kafka not ready for this service yet (%s); retrying", exc)
            await asyncio.sleep(min(0.5 * attempt, 3.0))


def service_app(
    service: str,
    *,
    title: str,
    description: str,
    version: str = "1.0.0",
    routers: Sequence[APIRouter] = (),
    handlers: Sequence[On[Any, C]] = (),
    context: C | None = None,
    settings: PlatformSettings | None = None,
    background: Sequence[BackgroundTask] = (),
) -> FastAPI:
    """The FastAPI app of one service; its runtime is ``app.state.runtime``.

    ``context`` is the service's context (settings, clock, links), built once by
    its ``app.py``: routes read it as ``app.state.context`` and every entry of
    the ``handlers`` table receives it. ``background`` tasks run from the end of
    ``start`` until ``stop`` cancels them.
    """
    from shared.asyncapi import asyncapi_document
    from shared.audit.api import router as audit_router
    from shared.handlers import subscribe_handlers
    from shared.http.app import create_api

    runtime = ServiceRuntime.create(service, settings)
    runtime.background.extend(background)
    if handlers:
        if context is None:
            raise ValueError(f"{service}: event handlers need the service's context")
        subscribe_handlers(runtime.consumer, handlers, context)
    app = create_api(
        service=service,
        title=title,
        description=description,
        version=version,
        settings=runtime.settings,
        routers=[*routers, audit_router],
        readiness=runtime.readiness,
        asyncapi=lambda: asyncapi_document(service, runtime.consumer.handlers, runtime.settings),
        lifespan=runtime.lifespan,
    )
    app.state.runtime = runtime
    app.state.context = context

    async def prometheus_metrics() -> Response:
        body = await metrics.exposition([runtime.refresh_metrics])
        return Response(body, media_type=metrics.CONTENT_TYPE)

    # Beside /health, outside /v1 and the OpenAPI document: it is for the scraper.
    app.add_api_route("/metrics", prometheus_metrics, methods=["GET"], include_in_schema=False)
    return app


async def get_runtime(request: Request) -> ServiceRuntime:
    """FastAPI dependency: the runtime of the service handling the request.

    ``async`` although it only reads app state: FastAPI runs a plain ``def``
    dependency in a worker thread, a hop that costs more than the lookup.
    """
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


def serve(service: str, factory: Callable[[], FastAPI]) -> None:
    """Run a service until SIGINT/SIGTERM: uvicorn drains requests, then the lifespan stops."""
    settings = PlatformSettings()
    keep_private(settings.var_dir)
    # A numbered replica (TASKFORCE_REPLICA) says which it is on every line.
    replica = f"[{settings.replica_id}] " if "replica_id" in settings.model_fields_set else ""
    logging.basicConfig(
        level=logging.INFO, format=f"%(asctime)s %(levelname)s {replica}%(name)s %(message)s"
    )
    uvicorn.run(
        factory(),
        host=settings.host,
        port=settings.port_for(service),
        timeout_graceful_shutdown=30,
        log_level="info",
        access_log=False,
    )
