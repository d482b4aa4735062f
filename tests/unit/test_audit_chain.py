"""The audit chain: appended in order, refused edits, and ``taskforce audit verify`` finding
an edited and a deleted record by service and sequence number (tampering through raw SQL)."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
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
from shared.postgres_local import PostgresSetupError
from tests.databases import TestDatabases


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


@dataclass
class Trails:
    """The services' databases of one test, on the engine under test, and raw access to them.

    Tampering is done as someone with the database would: past the code, in SQL,
    first dropping the guard the migration put on the table.
    """

    var: Path
    database: TestDatabases
    label: str = field(default_factory=lambda: f"t_chain_{uuid.uuid4().hex[:10]}")

    @property
    def refused(self) -> type[Exception]:
        return PostgresSetupError if self.database.is_postgresql else sqlite3.IntegrityError

    def url(self, service: str) -> str:
        if self.database.server is None:
            path = self.var / "db" / f"{service}.db"
            path.parent.mkdir(parents=True, exist_ok=True)
            return f"sqlite+aiosqlite:///{path}"
        return self.database.server.url(f"{self.label}_{service}")

    def fill(self, service: str, count: int) -> None:
        """A migrated service database with ``count`` records, written as services write them."""
        if self.database.server is not None:
            self.database.server.create_database(f"{self.label}_{service}")
        upgrade(service, self.url(service))
        asyncio.run(_fill(make_engine(self.url(service)), count))

    def drop_guard(self, *kinds: str) -> list[str]:
        """Statements that take the append-only guard away (``update``, ``delete``)."""
        if self.database.is_postgresql:
            return ["DROP TRIGGER audit_record_append_only ON audit_record"]
        return [f"DROP TRIGGER audit_record_no_{kind}" for kind in kinds]

    def raw(self, service: str, *statements: str) -> list[tuple[str, ...]]:
        """Run ``statements`` in one go; the last one's rows."""
        if self.database.server is not None:
            out = self.database.server.psql("; ".join(statements), f"{self.label}_{service}")
            return [tuple(line.split("|")) for line in out.splitlines() if line]
        connection = sqlite3.connect(self.var / "db" / f"{service}.db")
        try:
            rows: list[tuple[str, ...]] = []
            for statement in statements:
                rows = [tuple(str(v) for v in r) for r in connection.execute(statement)]
            connection.commit()
            return rows
        finally:
            connection.close()


@pytest.fixture
def trails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database: TestDatabases
) -> Iterator[Trails]:
    monkeypatch.setenv("TASKFORCE_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("TASKFORCE_JWT_SECRET", "s" * 48)
    monkeypatch.delenv("TASKFORCE_DATABASE_URL", raising=False)
    found = Trails(tmp_path, database)
    if database.is_postgresql:
        monkeypatch.setenv("DATABASE_URL", found.url("{service}"))
    else:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    yield found


def test_records_chain_onto_each_other(trails: Trails) -> None:
    trails.fill("programmes", 3)
    rows = trails.raw("programmes", "SELECT seq, prev_hash, hash FROM audit_record ORDER BY seq")
    seqs, previous = [], GENESIS
    for seq, prev_hash, own in rows:
        assert prev_hash == previous
        previous = own
        seqs.append(int(seq))
    assert seqs == [1, 2, 3]
    report = asyncio.run(_verified(trails.url("programmes")))
    assert report.intact and report.records == 3 and report.head_hash == previous


def test_the_hash_covers_every_field() -> None:
    row = {**entry(1).__dict__, "seq": 1, "recorded_at": "2027-01-01T00:00:00.000000Z"}
    row["prev_hash"] = GENESIS
    original = hash_of(row)
    for key in row:
        changed = {**row, key: 999 if isinstance(row[key], int) else f"{row[key]}x"}
        assert hash_of(changed) != original, key


def test_the_database_refuses_updates_and_deletes(trails: Trails) -> None:
    trails.fill("countries", 2)
    for statement in ("UPDATE audit_record SET result = 200", "DELETE FROM audit_record"):
        with pytest.raises(trails.refused, match="append-only"):
            trails.raw("countries", statement)


def test_verify_passes_an_intact_trail(trails: Trails) -> None:
    trails.fill("countries", 4)
    trails.fill("monitoring", 2)
    result = CliRunner().invoke(root_app, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "countries: 4 records, chain intact" in result.stdout
    assert "monitoring: 2 records, chain intact" in result.stdout
    assert "programmes: no audit trail yet" in result.stdout


def test_verify_finds_an_edited_record(trails: Trails) -> None:
    trails.fill("countries", 3)
    trails.fill("programmes", 5)
    trails.raw(
        "programmes",
        *trails.drop_guard("update"),
        "UPDATE audit_record SET actor = 'someone-else' WHERE seq = 3",
    )
    result = CliRunner().invoke(root_app, ["audit", "verify"])
    assert result.exit_code == 1
    assert "programmes: BROKEN at sequence number 3: record 3 was altered" in result.stderr
    assert "countries: 3 records, chain intact" in result.stdout
    assert "sequence number 4" not in result.stderr  # only the edited record is named


def test_verify_finds_a_deleted_record(trails: Trails) -> None:
    trails.fill("notifications", 5)
    trails.raw(
        "notifications", *trails.drop_guard("delete"), "DELETE FROM audit_record WHERE seq = 2"
    )
    result = CliRunner().invoke(root_app, ["audit", "verify", "--service", "notifications"])
    assert result.exit_code == 1
    assert "notifications: BROKEN at sequence number 3: record(s) 2 missing" in result.stderr


def test_verify_finds_a_rewritten_chain_position(trails: Trails) -> None:
    """Deleting a record and renumbering the rest does not hide it: seq is hashed too."""
    trails.fill("monitoring", 4)
    trails.raw(
        "monitoring",
        *trails.drop_guard("delete", "update"),
        "DELETE FROM audit_record WHERE seq = 2",
        "UPDATE audit_record SET seq = seq - 1 WHERE seq > 2",
    )
    result = CliRunner().invoke(root_app, ["audit", "verify", "--service", "monitoring"])
    assert result.exit_code == 1
    assert "sequence number 2" in result.stderr


def test_audit_list_prints_the_newest_records(trails: Trails) -> None:
    trails.fill("countries", 3)
    result = CliRunner().invoke(
        root_app, ["audit", "list", "--service", "countries", "--limit", "2"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["3", "2"]
    assert "person-2\tbz\tPOST /v1/programmes" in lines[0]
    bad = CliRunner().invoke(root_app, ["audit", "list", "--service", "elsewhere"])
    assert bad.exit_code == 2
