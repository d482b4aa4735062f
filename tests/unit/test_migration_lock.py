"""Replicas starting together on one fresh PostgreSQL database all migrate it, one at a time.

Without the migration lock (``shared/migrations/env.py``) the processes race to
create the same tables and all but one fail with a duplicate-table error.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.databases import TestDatabases

PROCESSES = 3


def test_replicas_migrating_one_fresh_database_at_once_all_succeed(
    database: TestDatabases, tmp_path: Path
) -> None:
    if not database.is_postgresql:
        pytest.skip("SQLite: one writer, and each replica's database is its own file")
    url = database.url_for("migration_lock", tmp_path)
    go = tmp_path / "go"
    # Each process imports first and then waits for the same signal, so that the
    # migrations overlap instead of following each other by chance.
    script = (
        "import pathlib, time\n"
        "from shared.migrate import upgrade\n"
        f"while not pathlib.Path({str(go)!r}).exists(): time.sleep(0.01)\n"
        f"upgrade('programmes', {url!r})\n"
    )
    migrating = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=dict(os.environ),
        )
        for _ in range(PROCESSES)
    ]
    time.sleep(3)  # every process has imported by now, or very nearly
    go.touch()
    outcomes = [(process.wait(timeout=120), process.stdout) for process in migrating]
    failures = [out.read().decode() for code, out in outcomes if code != 0 and out is not None]
    assert not failures, failures[0]
    assert database.server is not None
    name = url.rsplit("/", 1)[1]
    tables = database.server.psql(
        "SELECT count(*) FROM pg_tables WHERE tablename = 'registered_programme'", name
    )
    assert tables.strip() == "1"
