"""The outbox loses nothing, publishes nothing twice and keeps per-key order when processes die.

Relays run as child processes (``outbox_child``) that the tests kill -9: one
replica restarted, two replicas on one database, a crash on either side of the
Kafka commit. The topic is read ``read_committed``, as services read it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiokafka import ConsumerRecord
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.contracts.programmes import ProgrammeStatusChanged
from shared.db import make_engine
from shared.events.catalogue import entry_for
from shared.outbox import OutboxLease, OutboxMessage
from shared.outbox_lease import database_now
from shared.settings import PROJECT_ROOT, PlatformSettings
from tests.integration import outbox_child
from tests.support import eventually, header, read_topic

pytestmark = pytest.mark.kafka

TOPIC = entry_for(ProgrammeStatusChanged).topic


def _spawn(*args: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.outbox_child", *args],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    assert process.stdout is not None
    return process


async def _await_line(process: subprocess.Popen[str], prefix: str, timeout: float = 60) -> str:
    assert process.stdout is not None
    line = await asyncio.wait_for(asyncio.to_thread(process.stdout.readline), timeout)
    assert line.startswith(prefix), f"child said {line!r}"
    return line


def _kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


@dataclass
class OutboxTables:
    """The test's view of the outbox the child processes share, on either engine."""

    url: str
    engine: AsyncEngine

    async def counts(self) -> tuple[int, int]:
        """(sent, unsent) rows in the outbox."""
        async with self.engine.connect() as connection:
            sent = await connection.scalar(
                select(func.count()).where(OutboxMessage.sent_at.is_not(None))
            )
            unsent = await connection.scalar(
                select(func.count()).where(OutboxMessage.sent_at.is_(None))
            )
        return int(sent or 0), int(unsent or 0)

    async def sent_at_least(self, count: int) -> bool:
        return (await self.counts())[0] >= count

    async def drained(self) -> bool:
        return (await self.counts())[1] == 0

    async def event_ids(self) -> set[str]:
        async with self.engine.connect() as connection:
            return set((await connection.scalars(select(OutboxMessage.event_id))).all())

    async def holder(self) -> str | None:
        """Who holds the programmes outbox lease, if anyone does now."""
        now = database_now(self.engine.dialect.name)
        async with self.engine.connect() as connection:
            holder = await connection.scalar(
                select(OutboxLease.holder).where(OutboxLease.expires_at > now)
            )
        return None if holder is None else str(holder)

    async def in_doubt(self) -> list[int] | None:
        async with self.engine.connect() as connection:
            found = await connection.scalar(select(OutboxLease.in_doubt))
        return None if found is None else list(found)


@pytest.fixture
async def outbox(settings: PlatformSettings) -> AsyncIterator[OutboxTables]:
    """The test's own outbox database (SQLite or PostgreSQL, as ``settings`` has it)."""
    assert settings.database_url is not None
    engine = make_engine(settings.database_url)
    yield OutboxTables(settings.database_url, engine)
    await engine.dispose()


def _relay(
    db_url: str, transactional_id: str, batch: str, pause: str, crash: str = ""
) -> subprocess.Popen[str]:
    return _spawn("relay", db_url, batch, pause, transactional_id, *([crash] if crash else []))


def _published(relay: subprocess.Popen[str]) -> int:
    """How many rows a killed relay said it published."""
    assert relay.stdout is not None
    lines = relay.stdout.read().splitlines()
    return sum(int(line.split()[1]) for line in lines if line.startswith("published "))


def _mine(
    records: list[ConsumerRecord[bytes, bytes]], prefix: str
) -> list[ConsumerRecord[bytes, bytes]]:
    return [r for r in records if r.key is not None and r.key.decode().startswith(prefix + "-")]


def _exactly_once(
    records: list[ConsumerRecord[bytes, bytes]], expected: set[str]
) -> dict[str, list[int]]:
    """Each expected event on the topic once, no other; the sequences of each key, in order."""
    ids = Counter(header(r, "ce_id") for r in records)
    assert set(ids) == expected
    assert [i for i, n in ids.items() if n > 1] == [], "published twice"
    by_key: dict[str, list[int]] = defaultdict(list)
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        assert record.key is not None
        by_key[record.key.decode()].append(int(header(record, "ce_sequence") or 0))
    return by_key


async def _all_of(
    settings: PlatformSettings, prefix: str, total: int
) -> list[ConsumerRecord[bytes, bytes]]:
    """The test's records on the topic: read until all are there and two seconds more."""
    settle = time.monotonic() + 2.0
    records = await read_topic(
        settings.kafka_bootstrap_servers,
        TOPIC,
        lambda rs: (
            len({header(r, "ce_id") for r in _mine(rs, prefix)}) >= total
            and time.monotonic() > settle
        ),
        timeout=90,
    )
    return _mine(records, prefix)


def _txn(unique: str) -> str:
    """A transactional id of the test's own, under the programmes principal's ACL."""
    return f"taskforce.programmes.outbox.test-{unique}"


async def _relay_until_drained(outbox: OutboxTables, txn: str, batch: str = "200") -> None:
    relay = _relay(outbox.url, txn, batch, "0")
    try:
        await _await_line(relay, "relaying")
        await eventually(outbox.drained, timeout=60)
    finally:
        _kill(relay)


async def test_event_committed_before_a_crash_is_published_after_restart(
    settings: PlatformSettings, outbox: OutboxTables, unique: str
) -> None:
    url = outbox.url
    prefix = f"crash-{unique}"

    writer = _spawn("commit", url, prefix, "3", "4")
    await _await_line(writer, "committed 12")
    _kill(writer)  # died after commit, before any publish
    assert await outbox.counts() == (0, 12)

    await _relay_until_drained(outbox, _txn(unique))
    expected = await outbox.event_ids()
    records = await read_topic(
        settings.kafka_bootstrap_servers,
        TOPIC,
        lambda rs: {header(r, "ce_id") for r in _mine(rs, prefix)} >= expected,
    )
    assert {header(r, "ce_id") for r in _mine(records, prefix)} == expected
    _exactly_once(_mine(records, prefix), expected)


async def test_per_key_order_holds_across_a_relay_killed_mid_stream(
    settings: PlatformSettings, outbox: OutboxTables, unique: str
) -> None:
    url = outbox.url
    prefix = f"order-{unique}"
    keys, per_key = 10, 200

    writer = _spawn("commit", url, prefix, str(keys), str(per_key))
    await _await_line(writer, f"committed {keys * per_key}", timeout=120)
    _kill(writer)

    relay = _relay(url, _txn(unique), "50", "0.05")
    await _await_line(relay, "relaying")
    await eventually(lambda: outbox.sent_at_least(400), timeout=60)
    _kill(relay)
    _sent, unsent = await outbox.counts()
    assert unsent > 0, "the relay finished before it could be killed: the test proved nothing"

    await _relay_until_drained(outbox, _txn(unique))
    total = keys * per_key
    records = await read_topic(
        settings.kafka_bootstrap_servers,
        TOPIC,
        lambda rs: len({header(r, "ce_id") for r in _mine(rs, prefix)}) >= total,
        timeout=60,
    )
    by_key: dict[str, list[int]] = defaultdict(list)
    seen: set[str | None] = set()
    for record in sorted(_mine(records, prefix), key=lambda r: (r.partition, r.offset)):
        event_id = header(record, "ce_id")
        if event_id in seen:
            continue  # a re-send after the kill: consumers' inboxes drop it
        seen.add(event_id)
        assert record.key is not None
        by_key[record.key.decode()].append(int(header(record, "ce_sequence") or 0))
    assert len(seen) == total
    _exactly_once(await _all_of(settings, prefix, total), await outbox.event_ids())
    assert len(by_key) == keys
    for key, sequences in by_key.items():
        assert sequences == list(range(1, per_key + 1)), f"order broken for {key}"


async def test_two_relays_publish_once_and_a_killed_holder_is_replaced_within_the_ttl(
    settings: PlatformSettings, outbox: OutboxTables, unique: str
) -> None:
    url = outbox.url
    prefix = f"replicas-{unique}"
    keys, per_key = 10, 150
    total = keys * per_key

    writer = _spawn("commit", url, prefix, str(keys), str(per_key))
    await _await_line(writer, f"committed {total}", timeout=120)
    _kill(writer)

    first, second = (_relay(url, _txn(unique), "25", "0.05") for _ in range(2))
    names = {}
    for relay in (first, second):
        names[(await _await_line(relay, "relaying")).split()[1]] = relay
    await eventually(lambda: outbox.sent_at_least(300), timeout=60)
    holder_name = await outbox.holder()
    assert holder_name in names
    holder = names.pop(holder_name)
    ((standby_name, standby),) = names.items()
    _kill(holder)
    killed = time.monotonic()
    sent_by_holder, unsent = await outbox.counts()
    assert unsent > 0, "the holder finished before it could be killed"
    assert _published(holder) > 0

    async def standby_holds() -> bool:
        return await outbox.holder() == standby_name

    await eventually(standby_holds, timeout=30)
    took_over = time.monotonic() - killed
    try:
        await eventually(outbox.drained, timeout=60)
    finally:
        _kill(standby)
    assert took_over < outbox_child.LEASE_TTL_S + 2.0, f"took over after {took_over:.1f} s"
    # The standby published nothing while the holder lived: only what was left.
    assert 0 < _published(standby) <= total - sent_by_holder

    by_key = _exactly_once(await _all_of(settings, prefix, total), await outbox.event_ids())
    assert len(by_key) == keys
    for key, sequences in by_key.items():
        assert sequences == list(range(1, per_key + 1)), f"order broken for {key}"


@pytest.mark.parametrize("crash", ["before-commit", "after-commit"])
async def test_a_relay_killed_around_its_kafka_commit_publishes_each_event_once(
    settings: PlatformSettings, outbox: OutboxTables, unique: str, crash: str
) -> None:
    url = outbox.url
    prefix = f"{crash}-{unique}"

    writer = _spawn("commit", url, prefix, "3", "4")
    await _await_line(writer, "committed 12")
    _kill(writer)

    dying = _relay(url, _txn(unique), "5", "0", crash)
    await _await_line(dying, "relaying")
    await asyncio.wait_for(asyncio.to_thread(dying.wait), 60)
    assert dying.returncode == -signal.SIGKILL
    assert await outbox.counts() == (0, 12), "the crash came before any row was marked sent"
    assert await outbox.in_doubt(), "the batch was recorded in doubt before the commit"

    await _relay_until_drained(outbox, _txn(unique))
    assert await outbox.in_doubt() is None
    by_key = _exactly_once(await _all_of(settings, prefix, 12), await outbox.event_ids())
    for key, sequences in by_key.items():
        assert sequences == [1, 2, 3, 4], f"order broken for {key}"
