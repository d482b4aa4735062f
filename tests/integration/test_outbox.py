"""The outbox loses nothing, publishes nothing twice and keeps per-key order when processes die.

Relays run as child processes (``outbox_child``) that the tests kill -9: one
replica restarted, two replicas on one database, a crash on either side of the
Kafka commit. The topic is read ``read_committed``, as services read it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from aiokafka import ConsumerRecord

from shared.contracts.programmes import ProgrammeStatusChanged
from shared.events.catalogue import entry_for
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


def _counts(db: Path) -> tuple[int, int]:
    """(sent, unsent) rows in the outbox."""
    with sqlite3.connect(db) as connection:
        sent = connection.execute("SELECT count(*) FROM outbox_message WHERE sent_at IS NOT NULL")
        unsent = connection.execute("SELECT count(*) FROM outbox_message WHERE sent_at IS NULL")
        return sent.fetchone()[0], unsent.fetchone()[0]


def _event_ids(db: Path) -> set[str]:
    with sqlite3.connect(db) as connection:
        return {row[0] for row in connection.execute("SELECT event_id FROM outbox_message")}


def _holder(db: Path) -> str | None:
    """Who holds the programmes outbox lease, if anyone does now."""
    with sqlite3.connect(db) as connection:
        row = connection.execute(
            "SELECT holder FROM outbox_lease WHERE expires_at > "
            "(julianday('now') - 2440587.5) * 86400.0"
        ).fetchone()
        return None if row is None else str(row[0])


def _in_doubt(db: Path) -> str | None:
    with sqlite3.connect(db) as connection:
        row = connection.execute("SELECT in_doubt FROM outbox_lease").fetchone()
        return None if row is None or row[0] in (None, "null") else str(row[0])


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


async def _relay_until_drained(db: Path, url: str, txn: str, batch: str = "200") -> None:
    relay = _relay(url, txn, batch, "0")
    try:
        await _await_line(relay, "relaying")
        await eventually(lambda: _counts(db)[1] == 0, timeout=60)
    finally:
        _kill(relay)


async def test_event_committed_before_a_crash_is_published_after_restart(
    settings: PlatformSettings, tmp_path: Path, unique: str
) -> None:
    db = tmp_path / "programmes.db"
    url = f"sqlite+aiosqlite:///{db}"
    prefix = f"crash-{unique}"

    writer = _spawn("commit", url, prefix, "3", "4")
    await _await_line(writer, "committed 12")
    _kill(writer)  # died after commit, before any publish
    assert _counts(db) == (0, 12)

    await _relay_until_drained(db, url, _txn(unique))
    expected = _event_ids(db)
    records = await read_topic(
        settings.kafka_bootstrap_servers,
        TOPIC,
        lambda rs: {header(r, "ce_id") for r in _mine(rs, prefix)} >= expected,
    )
    assert {header(r, "ce_id") for r in _mine(records, prefix)} == expected
    _exactly_once(_mine(records, prefix), expected)


async def test_per_key_order_holds_across_a_relay_killed_mid_stream(
    settings: PlatformSettings, tmp_path: Path, unique: str
) -> None:
    db = tmp_path / "programmes.db"
    url = f"sqlite+aiosqlite:///{db}"
    prefix = f"order-{unique}"
    keys, per_key = 10, 200

    writer = _spawn("commit", url, prefix, str(keys), str(per_key))
    await _await_line(writer, f"committed {keys * per_key}", timeout=120)
    _kill(writer)

    relay = _relay(url, _txn(unique), "50", "0.05")
    await _await_line(relay, "relaying")
    await eventually(lambda: _counts(db)[0] >= 400, timeout=60)
    _kill(relay)
    _sent, unsent = _counts(db)
    assert unsent > 0, "the relay finished before it could be killed: the test proved nothing"

    await _relay_until_drained(db, url, _txn(unique))
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
    _exactly_once(await _all_of(settings, prefix, total), _event_ids(db))
    assert len(by_key) == keys
    for key, sequences in by_key.items():
        assert sequences == list(range(1, per_key + 1)), f"order broken for {key}"


async def test_two_relays_publish_once_and_a_killed_holder_is_replaced_within_the_ttl(
    settings: PlatformSettings, tmp_path: Path, unique: str
) -> None:
    db = tmp_path / "programmes.db"
    url = f"sqlite+aiosqlite:///{db}"
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
    await eventually(lambda: _counts(db)[0] >= 300, timeout=60)
    holder_name = _holder(db)
    assert holder_name in names
    holder = names.pop(holder_name)
    ((standby_name, standby),) = names.items()
    _kill(holder)
    killed = time.monotonic()
    sent_by_holder, unsent = _counts(db)
    assert unsent > 0, "the holder finished before it could be killed"
    assert _published(holder) > 0

    await eventually(lambda: _holder(db) == standby_name, timeout=30)
    took_over = time.monotonic() - killed
    try:
        await eventually(lambda: _counts(db)[1] == 0, timeout=60)
    finally:
        _kill(standby)
    assert took_over < outbox_child.LEASE_TTL_S + 2.0, f"took over after {took_over:.1f} s"
    # The standby published nothing while the holder lived: only what was left.
    assert 0 < _published(standby) <= total - sent_by_holder

    by_key = _exactly_once(await _all_of(settings, prefix, total), _event_ids(db))
    assert len(by_key) == keys
    for key, sequences in by_key.items():
        assert sequences == list(range(1, per_key + 1)), f"order broken for {key}"


@pytest.mark.parametrize("crash", ["before-commit", "after-commit"])
async def test_a_relay_killed_around_its_kafka_commit_publishes_each_event_once(
    settings: PlatformSettings, tmp_path: Path, unique: str, crash: str
) -> None:
    db = tmp_path / "programmes.db"
    url = f"sqlite+aiosqlite:///{db}"
    prefix = f"{crash}-{unique}"

    writer = _spawn("commit", url, prefix, "3", "4")
    await _await_line(writer, "committed 12")
    _kill(writer)

    dying = _relay(url, _txn(unique), "5", "0", crash)
    await _await_line(dying, "relaying")
    await asyncio.wait_for(asyncio.to_thread(dying.wait), 60)
    assert dying.returncode == -signal.SIGKILL
    assert _counts(db) == (0, 12), "the crash came before any row was marked sent"
    assert _in_doubt(db) is not None, "the batch was recorded in doubt before the commit"

    await _relay_until_drained(db, url, _txn(unique))
    assert _in_doubt(db) is None
    by_key = _exactly_once(await _all_of(settings, prefix, 12), _event_ids(db))
    for key, sequences in by_key.items():
        assert sequences == [1, 2, 3, 4], f"order broken for {key}"
