"""The audit chain: appended in order, refused edits, and ``taskforce audit verify`` finding
an edited and a deleted record by service and sequence number (tampering through raw SQL)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from shared.audit.records import (
    GENESIS,
    AuditEntry,
    ChainReport,
    append,
    hash_of,
    verify_chain,
)
from shared.cli import app as root_app
from shared.db import make_engine, make_session_factory
from shared.migrate import upgrade


def entry(n: int, kind: str = "write") -> AuditEntry:
    return AuditEntry(
        service="programmes",
        kind=kind,
        actor=f"person-{n}",
        organisation="bz",
        action="POST /v1/programmes",
        object=f"/v1/programmes/{n}",
        result=201,
        origin="10.0.0.7",
        token_id=f"jti-{n}",
        trace_id=None,
    )


async def _fill(engine: AsyncEngine, count: int) -> None:
    sessions = make_session_factory(engine)
    for n in range(count):
        async with sessions() as session, session.begin():
            await append(session, [entry(n)])
    await engine.dispose()


async def _verified(url: str) -> ChainReport:
    engine = make_engine(url)
    async with engine.connect() as connection:
        report = await verify_chain(connection)
    await engine.dispose()
    return report


@pytest.fixture
def var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("TASKFORCE_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("TASKFORCE_JWT_SECRET", "s" * 48)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("TASKFORCE_DATABASE_URL", raising=False)
    yield tmp_path


def trail(var: Path, service: str, count: int) -> Path:
    """A migrated service database with ``count`` records, written as the services write them."""
    path = var / "db" / f"{service}.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    upgrade(service, f"sqlite+aiosqlite:///{path}")
    asyncio.run(_fill(make_engine(f"sqlite+aiosqlite:///{path}"), count))
    return path


def raw(path: Path, *statements: str) -> None:
    """Tamper as someone with the database file would: drop the guard, change the rows."""
    connection = sqlite3.connect(path)
    try:
        for statement in statements:
            connection.execute(statement)
        connection.commit()
    finally:
        connection.close()


def test_records_chain_onto_each_other(var: Path) -> None:
    path = trail(var, "programmes", 3)
    rows = sqlite3.connect(path).execute(
        "SELECT seq, prev_hash, hash FROM audit_record ORDER BY seq"
    )
    seqs, previous = [], GENESIS
    for seq, prev_hash, own in rows:
        assert prev_hash == previous
        previous = own
        seqs.append(seq)
    assert seqs == [1, 2, 3]
    report = asyncio.run(_verified(f"sqlite+aiosqlite:///{path}"))
    assert report.intact and report.records == 3 and report.head_hash == previous


def test_the_hash_covers_every_field() -> None:
    row = {**entry(1).__dict__, "seq": 1, "recorded_at": "2027-01-01T00:00:00.000000Z"}
    row["prev_hash"] = GENESIS
    original = hash_of(row)
    for key in row:
        changed = {**row, key: 999 if isinstance(row[key], int) else f"{row[key]}x"}
        assert hash_of(changed) != original, key


def test_the_database_refuses_updates_and_deletes(var: Path) -> None:
    path = trail(var, "countries", 2)
    for statement in ("UPDATE audit_record SET result = 200", "DELETE FROM audit_record"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            raw(path, statement)


def test_verify_passes_an_intact_trail(var: Path) -> None:
    trail(var, "countries", 4)
    trail(var, "monitoring", 2)
    result = CliRunner().invoke(root_app, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "countries: 4 records, chain intact" in result.stdout
    assert "monitoring: 2 records, chain intact" in result.stdout
    assert "programmes: no audit trail yet" in result.stdout


def test_verify_finds_an_edited_record(var: Path) -> None:
    trail(var, "countries", 3)
    path = trail(var, "programmes", 5)
    raw(
        path,
        "DROP TRIGGER audit_record_no_update",
        "UPDATE audit_record SET actor = 'someone-else' WHERE seq = 3",
    )
    result = CliRunner().invoke(root_app, ["audit", "verify"])
    assert result.exit_code == 1
    assert "programmes: BROKEN at sequence number 3: record 3 was altered" in result.stderr
    assert "countries: 3 records, chain intact" in result.stdout
    assert "sequence number 4" not in result.stderr  # only the edited record is named


def test_verify_finds_a_deleted_record(var: Path) -> None:
    path = trail(var, "notifications", 5)
    raw(path, "DROP TRIGGER audit_record_no_delete", "DELETE FROM audit_record WHERE seq = 2")
    result = CliRunner().invoke(root_app, ["audit", "verify", "--service", "notifications"])
    assert result.exit_code == 1
    assert "notifications: BROKEN at sequence number 3: record(s) 2 missing" in result.stderr


def test_verify_finds_a_rewritten_chain_position(var: Path) -> None:
    """Deleting a record and renumbering the rest does not hide it: seq is hashed too."""
    path = trail(var, "monitoring", 4)
    raw(
        path,
        "DROP TRIGGER audit_record_no_delete",
        "DROP TRIGGER audit_record_no_update",
        "DELETE FROM audit_record WHERE seq = 2",
        "UPDATE audit_record SET seq = seq - 1 WHERE seq > 2",
    )
    result = CliRunner().invoke(root_app, ["audit", "verify", "--service", "monitoring"])
    assert result.exit_code == 1
    assert "sequence number 2" in result.stderr


def test_audit_list_prints_the_newest_records(var: Path) -> None:
    trail(var, "countries", 3)
    result = CliRunner().invoke(
        root_app, ["audit", "list", "--service", "countries", "--limit", "2"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["3", "2"]
    assert "person-2\tbz\tPOST /v1/programmes" in lines[0]
    bad = CliRunner().invoke(root_app, ["audit", "list", "--service", "elsewhere"])
    assert bad.exit_code == 2
