"""Units of work on one SQLite database take turns in the process, in arrival order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db import make_engine, make_session_factory
from shared.unit_of_work import unit_of_work


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'gate.db'}")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE step (n INTEGER PRIMARY KEY, what TEXT)"))
    yield make_session_factory(engine)
    await engine.dispose()


async def test_a_second_unit_of_work_starts_when_the_first_has_committed(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    log: list[str] = []
    first_inside = asyncio.Event()

    async def first() -> None:
        async with unit_of_work(sessions, None) as uow:
            log.append("first begins")
            first_inside.set()
            await uow.session.execute(text("INSERT INTO step (what) VALUES ('first')"))
            await asyncio.sleep(0.2)  # the other task runs meanwhile, but may not write
            log.append("first commits")

    async def second() -> None:
        await first_inside.wait()
        async with unit_of_work(sessions, None) as uow:
            log.append("second begins")
            await uow.session.execute(text("INSERT INTO step (what) VALUES ('second')"))

    await asyncio.wait_for(asyncio.gather(first(), second()), timeout=10)
    assert log == ["first begins", "first commits", "second begins"]
    async with sessions() as session:
        assert list(await session.scalars(text("SELECT what FROM step ORDER BY n"))) == [
            "first",
            "second",
        ]


async def test_waiting_units_of_work_go_in_arrival_order(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    order: list[int | str] = []
    holder_inside = asyncio.Event()

    async def holder() -> None:
        async with unit_of_work(sessions, None):
            holder_inside.set()
            await asyncio.sleep(0.2)
            order.append("holder done")

    async def waiter(n: int) -> None:
        await holder_inside.wait()
        await asyncio.sleep(0.01 * n)  # arrive one after the other
        async with unit_of_work(sessions, None):
            order.append(n)

    await asyncio.wait_for(asyncio.gather(holder(), *(waiter(n) for n in range(5))), timeout=10)
    assert order == ["holder done", 0, 1, 2, 3, 4]


async def test_a_unit_of_work_inside_another_in_the_same_task_does_not_wait_for_itself(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async def nested() -> None:
        async with unit_of_work(sessions, None), unit_of_work(sessions, None) as inner:
            await inner.session.execute(text("SELECT 1"))

    await asyncio.wait_for(nested(), timeout=5)


async def test_other_databases_do_not_wait(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    """While a unit of work holds one database, others' finish, in this task and in another."""
    other = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'other.db'}")
    log: list[str] = []
    try:
        other_sessions = make_session_factory(other)
        async with unit_of_work(sessions, None):
            try:
                async with asyncio.timeout(5), unit_of_work(other_sessions, None) as uow:
                    await uow.session.execute(text("SELECT 1"))
            except TimeoutError:
                pytest.fail("a unit of work on another database, same task, waited for this one")
            log.append("same task committed on the other database")
            elsewhere = asyncio.create_task(_committed(other_sessions, log))
            finished, _ = await asyncio.wait({elsewhere}, timeout=5)
            assert elsewhere in finished, "another task's unit of work waited for this database"
            elsewhere.result()
            log.append("first commits")
        assert log == [
            "same task committed on the other database",
            "other task committed on the other database",
            "first commits",
        ]
    finally:
        await other.dispose()


async def _committed(sessions: async_sessionmaker[AsyncSession], log: list[str]) -> None:
    async with unit_of_work(sessions, None) as uow:
        await uow.session.execute(text("SELECT 1"))
    log.append("other task committed on the other database")
