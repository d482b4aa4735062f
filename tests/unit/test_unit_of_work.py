"""``uow.after_commit``: hooks run once the change is durable, never after a rollback."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from shared.contracts.programmes import ProgrammeStatusChanged
from shared.db import make_engine, make_session_factory
from shared.migrate import upgrade_async
from shared.outbox import Outbox
from shared.unit_of_work import unit_of_work
from tests.databases import TestDatabases
from tests.support import example


@pytest.fixture
async def sessions(tmp_path: Path, database: TestDatabases):  # type: ignore[no-untyped-def]
    url = database.url_for("uow", tmp_path)
    await upgrade_async("programmes", url)
    engine = make_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE note (id TEXT PRIMARY KEY)"))
    yield make_session_factory(engine)
    await engine.dispose()


def _status_change(programme_id: str) -> ProgrammeStatusChanged:
    return example(ProgrammeStatusChanged, programmeId=programme_id, status=6, previousStatus=2)


async def test_callbacks_run_after_commit_in_order_and_each_once(sessions) -> None:  # type: ignore[no-untyped-def]
    ran: list[str] = []

    def first() -> None:
        ran.append("first")

    async with unit_of_work(sessions, None) as uow:
        uow.after_commit(first)
        uow.after_commit(lambda: ran.append("second"))
        uow.after_commit(first)
        await uow.session.execute(text("INSERT INTO note VALUES ('a')"))
        assert ran == []  # not before the commit
    assert ran == ["first", "second"]


async def test_no_callback_runs_after_a_rollback(sessions) -> None:  # type: ignore[no-untyped-def]
    ran: list[str] = []
    with pytest.raises(RuntimeError):
        async with unit_of_work(sessions, None) as uow:
            uow.after_commit(lambda: ran.append("hook"))
            await uow.session.execute(text("INSERT INTO note VALUES ('b')"))
            raise RuntimeError("refused")
    assert ran == []
    async with sessions() as session:
        assert (await session.execute(text("SELECT count(*) FROM note"))).scalar_one() == 0


async def test_a_failing_callback_does_not_undo_the_commit_or_skip_the_others(sessions) -> None:  # type: ignore[no-untyped-def]
    ran: list[str] = []

    def broken() -> None:
        raise ValueError("hook failed")

    async with unit_of_work(sessions, None) as uow:
        uow.after_commit(broken)
        uow.after_commit(lambda: ran.append("later"))
        await uow.session.execute(text("INSERT INTO note VALUES ('c')"))
    assert ran == ["later"]
    async with sessions() as session:
        assert (await session.execute(text("SELECT count(*) FROM note"))).scalar_one() == 1


async def test_emitting_wakes_the_relay_only_once_committed(sessions) -> None:  # type: ignore[no-untyped-def]
    outbox = Outbox("programmes", "urn:nld:oin:00000001003214345000:systeem:programmes")
    with pytest.raises(RuntimeError):
        async with unit_of_work(sessions, outbox) as uow:
            await uow.emit(_status_change("prg-rolled-back"))
            raise RuntimeError("refused")
    assert not outbox.wake.is_set()

    async with unit_of_work(sessions, outbox) as uow:
        await uow.emit(_status_change("prg-kept-1"))
        await uow.emit(_status_change("prg-kept-2"))
        assert not outbox.wake.is_set()
    assert outbox.wake.is_set()


async def test_a_unit_of_work_without_outbox_may_not_emit(sessions) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuntimeError, match="no outbox"):
        async with unit_of_work(sessions, None) as uow:
            await uow.emit(_status_change("prg-none"))
