"""The outbox loses nothing and keeps per-key order when processes die (kill -9)."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from aiokafka import ConsumerRecord

from shared.contracts.programmes import ProgrammeStatusChanged
from shared.events.catalogue import entry_for
from shared.settings import PROJECT_ROOT, PlatformSettings
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


def _mine(
    records: list[ConsumerRecord[bytes, bytes]], prefix: str
) -> list[ConsumerRecord[bytes, bytes]]:
    return [r for r in records if r.key is not None and r.key.decode().startswith(prefix + "-")]


async def _relay_until_drained(db: Path, url: str, batch: str = "200") -> None:
    relay = _spawn("relay", url, batch, "0")
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

    await _relay_until_drained(db, url)
    expected = _event_ids(db)
    records = await read_topic(
        settings.kafka_bootstrap_servers,
        TOPIC,
        lambda rs: {header(r, "ce_id") for r in _mine(rs, prefix)} >= expected,
    )
    assert {header(r, "ce_id") for r in _mine(records, prefix)} == expected


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

    relay = _spawn("relay", url, "50", "0.05")
    await _await_line(relay, "relaying")
    await eventually(lambda: _counts(db)[0] >= 400, timeout=60)
    _kill(relay)
    _sent, unsent = _counts(db)
    assert unsent > 0, "the relay finished before it could be killed: the test proved nothing"

    await _relay_until_drained(db, url)
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
    assert len(by_key) == keys
    for key, sequences in by_key.items():
        assert sequences == list(range(1, per_key + 1)), f"order broken for {key}"
