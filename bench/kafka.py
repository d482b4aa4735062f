"""Raw aiokafka clients of the benchmark: the baseline, offsets, and per-hop timing.

Every client authenticates like the platform's own: :class:`Access` carries the
listener and the principal (the admin super user for set-up and offsets, a
bench principal with ACLs on its scratch topic only for the baseline), and
only :mod:`bench.auth` also uses the bench broker's unauthenticated listener.

The baseline produces the very records the platform wrote to
``taskforce.monitoring.v1`` (same keys, values and headers, so the same sizes)
to a scratch topic with the same partitions, with the platform's producer
settings (idempotent, ``acks=all``, ``linger_ms=5``), while one consumer reads
them; then a consumer of a new group drains the topic again. Both are timed
and their CPU (this process as the client, and the broker) is counted. A hop is
a service draining a backlog of its input topic, timed by the committed
offsets of its consumer group.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError

from bench import cpu
from shared.kafka.acls import Acl
from shared.kafka.admin import KafkaAdmin
from shared.kafka.security import MECHANISM, Credentials, aiokafka_options, ensure_credentials
from shared.settings import PlatformSettings

POLL_S = 0.02
#: The principal Kafka gives every client of an unauthenticated listener.
ANONYMOUS = "User:ANONYMOUS"
#: The bench's own principal for the SASL side of the baseline: not a super user,
#: so its requests go through the authorizer like a service's (and like ANONYMOUS's).
RAW_PRINCIPAL = "bench.raw"


@dataclass(frozen=True)
class Access:
    """Which listener a bench client uses and as whom: its aiokafka options."""

    label: str
    #: As the authorizer names it, e.g. ``User:admin``.
    principal: str
    #: The consumer groups this client uses start with it (its ACLs allow them).
    group_prefix: str
    #: Holds the password: kept out of every repr.
    options: Mapping[str, Any] = field(repr=False)

    @classmethod
    def scram(cls, settings: PlatformSettings, credentials: Credentials) -> Access:
        return cls(
            label=f"{settings.kafka_security_protocol} {MECHANISM}",
            principal=f"User:{credentials.username}",
            group_prefix=f"{credentials.username}.",
            options=aiokafka_options(settings, credentials),
        )

    @classmethod
    def plain(cls, bootstrap: str) -> Access:
        return cls(
            label="PLAINTEXT",
            principal=ANONYMOUS,
            group_prefix="bench.plain.",
            options={"bootstrap_servers": bootstrap, "security_protocol": "PLAINTEXT"},
        )

    def group(self, purpose: str) -> str:
        return f"{self.group_prefix}{purpose}.{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Record:
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]

    @property
    def size(self) -> int:
        return (
            len(self.key or b"") + len(self.value) + sum(len(k) + len(v) for k, v in self.headers)
        )


@dataclass(frozen=True)
class RawResult:
    """One baseline round: rates, and CPU microseconds per record by process."""

    label: str
    records: int
    mean_record_bytes: float
    produce_per_s: float
    consume_per_s: float
    produce_and_consume_per_s: float
    #: Producing and consuming at once, steady state (clients started before):
    #: ``client`` (this process), ``broker``, ``total``; empty off Linux.
    round_trip_cpu_us: dict[str, float] = field(default_factory=dict)
    #: A new group draining the backlog.
    drain_cpu_us: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class HopResult:
    service: str
    topic: str
    records: int
    seconds: float

    @property
    def per_s(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0


# -- set-up as the admin ------------------------------------------------------
async def create_topic(admin: Access, topic: str, partitions: int = 3) -> None:
    client = AIOKafkaAdminClient(**admin.options)
    await client.start()
    try:
        await client.create_topics(
            [NewTopic(topic, num_partitions=partitions, replication_factor=1)]
        )
    finally:
        await client.close()


async def raw_principal(settings: PlatformSettings, admin: Credentials) -> Credentials:
    """The bench's SCRAM user, its password kept with the bench broker's other secrets."""
    credentials, _ = ensure_credentials(settings.kafka_secrets, RAW_PRINCIPAL)
    async with KafkaAdmin(settings, admin) as client:
        await client.set_scram_passwords([credentials])
    return credentials


async def grant_scratch(
    settings: PlatformSettings, admin: Credentials, client: Access, topic: str
) -> None:
    """Let ``client``'s principal write and read ``topic`` and use its own groups; no more."""
    rules = [
        Acl(client.principal, "topic", "literal", topic, "write"),
        Acl(client.principal, "topic", "literal", topic, "read"),
        Acl(client.principal, "group", "prefixed", client.group_prefix, "read"),
    ]
    async with KafkaAdmin(settings, admin) as admin_client:
        await admin_client.create_acls(rule.binding() for rule in rules)


async def wait_authorized(access: Access, topic: str, timeout: float = 20.0) -> None:
    """Until ``access`` authenticates and sees ``topic`` (new users and ACLs apply shortly)."""
    deadline = time.monotonic() + timeout
    while True:
        consumer = AIOKafkaConsumer(**access.options, enable_auto_commit=False)
        try:
            await consumer.start()
            if topic in await consumer.topics():
                return
            problem = f"{access.principal} does not see {topic}"
        except KafkaError as exc:
            problem = f"{access.principal}: {exc!r}"
        finally:
            await consumer.stop()
        if time.monotonic() > deadline:
            raise RuntimeError(f"bench: {problem} after {timeout:.0f}s")
        await asyncio.sleep(0.2)


# -- reading ----------------------------------------------------------------
async def read_all(access: Access, topic: str, limit: int) -> list[Record]:
    """Up to ``limit`` records of ``topic`` from the start (a throwaway group, no commits)."""
    consumer = AIOKafkaConsumer(
        topic,
        **access.options,
        group_id=access.group("sample"),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        records: list[Record] = []
        while not consumer.assignment():
            records += _records(await consumer.getmany(timeout_ms=100))
        ends = await consumer.end_offsets(list(consumer.assignment()))

        async def at_end() -> bool:
            # By position, not by count: commit markers take offsets but are no records.
            return all([await consumer.position(tp) >= end for tp, end in ends.items()])

        while len(records) < limit and not await at_end():
            records += _records(await consumer.getmany(timeout_ms=1000))
        return records[:limit]
    finally:
        await consumer.stop()


def _records(batch: Mapping[Any, list[Any]]) -> list[Record]:
    return [Record(m.key, m.value or b"", list(m.headers)) for ms in batch.values() for m in ms]


async def partitions_of(access: Access, topics: list[str] | None = None) -> list[TopicPartition]:
    """The partitions of ``topics`` that exist (of every non-internal topic when None)."""
    admin = AIOKafkaAdminClient(**access.options)
    await admin.start()
    try:
        names = set(await admin.list_topics())
        wanted = sorted(t for t in (names if topics is None else set(topics) & names))
        wanted = [t for t in wanted if not t.startswith("__")]
        described = await admin.describe_topics(wanted) if wanted else []
    finally:
        await admin.close()
    return [TopicPartition(d["topic"], p["partition"]) for d in described for p in d["partitions"]]


async def end_offsets(access: Access, topics: list[str] | None = None) -> dict[str, int]:
    """The sum of end offsets per topic (every non-internal topic when ``topics`` is None)."""
    partitions = await partitions_of(access, topics)
    totals = dict.fromkeys(sorted({tp.topic for tp in partitions}), 0)
    if not partitions:
        return totals
    consumer = AIOKafkaConsumer(**access.options, enable_auto_commit=False)
    await consumer.start()
    try:
        ends = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
    for tp, end in ends.items():
        totals[tp.topic] += int(end)
    return totals


async def end_total(access: Access, topic: str) -> int:
    """The sum of the topic's end offsets over its partitions."""
    return (await end_offsets(access, [topic])).get(topic, 0)


async def data_end_total(access: Access, topic: str) -> int:
    """The sum over ``topic``'s partitions of the offset after its last committed record.

    What a consumer group that has handled everything commits. The end offset
    can be further on: a transactional producer (every outbox relay) ends each
    transaction with a commit marker in each partition it wrote, which takes an
    offset but is no record, and a consumer commits after the last record it
    handled, not after the marker that follows it.
    """
    partitions = await partitions_of(access, [topic])
    consumer = AIOKafkaConsumer(
        **access.options, enable_auto_commit=False, isolation_level="read_committed"
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        return sum([await _last_record_end(consumer, tp, ends[tp]) for tp in partitions])
    finally:
        await consumer.stop()


async def _last_record_end(consumer: AIOKafkaConsumer, tp: TopicPartition, end: int) -> int:
    """The offset after ``tp``'s last committed record before ``end`` (0 if none)."""
    window = 16
    while True:
        start = max(0, end - window)
        consumer.seek(tp, start)
        last = -1
        while await consumer.position(tp) < end:
            batch = await consumer.getmany(tp, timeout_ms=1000)
            for record in batch.get(tp, []):
                if record.offset < end:
                    last = max(last, record.offset)
        if last >= 0 or start == 0:
            return last + 1
        window *= 4


# -- the baseline --------------------------------------------------------------
async def raw_round(
    access: Access, topic: str, records: list[Record], broker_pid: int | None
) -> RawResult:
    """Produce ``records`` to the empty ``topic`` while one consumer reads them, then drain again.

    Clients are started before the clock and the CPU count start, so the
    figures are the steady state; what connecting costs is measured apart
    (:func:`connect_cost`).
    """
    count = len(records)
    pids = {"broker": broker_pid}
    live = _consumer(access, topic, "live")
    producer = _producer(access)
    await live.start()
    await producer.start()
    try:
        early = await _await_assignment(live)
        before = cpu.snapshot(pids)
        started = time.monotonic()
        producing = asyncio.create_task(_produce(producer, topic, records))
        await _consume(live, count - early)
        both = time.monotonic() - started
        produce_seconds = await producing
        after = cpu.snapshot(pids)
    finally:
        await producer.stop()
        await live.stop()
    # A backlog drained by a new consumer group: what a service does after a restart.
    backlog = _consumer(access, topic, "backlog")
    await backlog.start()
    try:
        early = await _await_assignment(backlog)
        drain_before = cpu.snapshot(pids)
        started = time.monotonic()
        await _consume(backlog, count - early)
        drain = time.monotonic() - started
        drain_after = cpu.snapshot(pids)
    finally:
        await backlog.stop()
    return RawResult(
        label=access.label,
        records=count,
        mean_record_bytes=sum(r.size for r in records) / count,
        produce_per_s=count / produce_seconds,
        consume_per_s=(count - early) / drain,
        produce_and_consume_per_s=count / both,
        round_trip_cpu_us=_us(cpu.per_flow(before, after, count)),
        drain_cpu_us=_us(cpu.per_flow(drain_before, drain_after, count - early)),
    )


def _us(per_record_ms: dict[str, float]) -> dict[str, float]:
    names = {cpu.DRIVER: "client", "broker": "broker", "total": "total"}
    return {names[k]: v * 1000 for k, v in per_record_ms.items() if k in names}


def _producer(access: Access) -> AIOKafkaProducer:
    """With the platform's producer settings (``shared.kafka.producer``)."""
    return AIOKafkaProducer(**access.options, enable_idempotence=True, acks="all", linger_ms=5)


def _consumer(access: Access, topic: str, purpose: str) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        topic,
        **access.options,
        group_id=access.group(purpose),
        auto_offset_reset="earliest",
        enable_auto_commit=True,
    )


async def _await_assignment(consumer: AIOKafkaConsumer) -> int:
    """Poll until the group gave partitions; how many records came with the polls."""
    seen = 0
    while not consumer.assignment():
        batch = await consumer.getmany(timeout_ms=100)
        seen += sum(len(messages) for messages in batch.values())
    return seen


async def _produce(producer: AIOKafkaProducer, topic: str, records: list[Record]) -> float:
    started = time.monotonic()
    futures = [await producer.send(topic, r.value, key=r.key, headers=r.headers) for r in records]
    await asyncio.gather(*futures)
    return time.monotonic() - started


async def _consume(consumer: AIOKafkaConsumer, count: int) -> None:
    seen = 0
    while seen < count:
        batch = await consumer.getmany(timeout_ms=1000)
        seen += sum(len(messages) for messages in batch.values())


# -- connecting ---------------------------------------------------------------
@dataclass(frozen=True)
class ConnectResult:
    """Starting and stopping an idempotent producer: two connections (bootstrap, then broker)."""

    label: str
    rounds: int
    wall_ms_median: float
    wall_ms_mean: float
    #: Per start+stop: ``client``, ``broker``, ``total``; empty off Linux.
    cpu_ms: dict[str, float]


async def connect_cost(
    accesses: list[Access], rounds: int, broker_pid: int | None
) -> list[ConnectResult]:
    """Start and stop a producer ``rounds`` times per access, interleaved (ABBA) against drift."""
    walls: dict[str, list[float]] = {a.label: [] for a in accesses}
    spent: dict[str, dict[str, float]] = {a.label: {} for a in accesses}
    pids = {"broker": broker_pid}
    for access in accesses:  # one unmeasured start each: imports, first-use caches
        await _start_stop(access)
    for i in range(rounds):
        for access in accesses if i % 2 == 0 else accesses[::-1]:
            before = cpu.snapshot(pids)
            started = time.monotonic()
            await _start_stop(access)
            walls[access.label].append((time.monotonic() - started) * 1000)
            after = cpu.snapshot(pids)
            for name, ms in cpu.per_flow(before, after, 1).items():
                spent[access.label][name] = spent[access.label].get(name, 0.0) + ms
    results = []
    for access in accesses:
        ordered = sorted(walls[access.label])
        names = {cpu.DRIVER: "client", "broker": "broker", "total": "total"}
        results.append(
            ConnectResult(
                label=access.label,
                rounds=rounds,
                wall_ms_median=ordered[len(ordered) // 2],
                wall_ms_mean=sum(ordered) / len(ordered),
                cpu_ms={names[k]: v / rounds for k, v in spent[access.label].items() if k in names},
            )
        )
    return results


async def _start_stop(access: Access) -> None:
    producer = _producer(access)
    await producer.start()
    await producer.stop()


# -- hops ---------------------------------------------------------------------
async def time_drain(
    access: Access, group: str, service: str, topic: str, target: int, timeout: float
) -> HopResult:
    """How fast ``group`` moves its committed offsets on ``topic`` up to ``target``.

    Timed from the first move seen to the last; the records before the first
    move are not counted, so start-up time does not enter.
    """
    admin = AIOKafkaAdminClient(**access.options)
    await admin.start()
    try:

        async def committed() -> int:
            offsets = await admin.list_consumer_group_offsets(group)
            return sum(m.offset for tp, m in offsets.items() if tp.topic == topic and m.offset > 0)

        base = await committed()
        deadline = time.monotonic() + timeout
        first: tuple[float, int] | None = None
        last = (time.monotonic(), base)
        while time.monotonic() < deadline:
            now, value = time.monotonic(), await committed()
            if value != last[1]:
                last = (now, value)
                if first is None:
                    first = (now, value)
            if value >= target:
                break
            await asyncio.sleep(POLL_S)
    finally:
        await admin.close()
    if first is None:
        return HopResult(service, topic, 0, 0.0)
    return HopResult(service, topic, last[1] - first[1], last[0] - first[0])
