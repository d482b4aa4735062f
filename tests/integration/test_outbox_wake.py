"""The outbox commits with the state change, and a unit of work's commit wakes the relay."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from shared.contracts.programmes import ProgrammeStatusChanged
from shared.db import make_engine, make_session_factory
from shared.events.catalogue import entry_for
from shared.migrate import upgrade_async
from shared.outbox import Outbox, OutboxMessage, OutboxRelay
from shared.settings import PlatformSettings
from shared.unit_of_work import unit_of_work
from tests.support import eventually, header, outbox_producers_as, read_topic, status_change

pytestmark = pytest.mark.kafka


async def test_rolled_back_change_leaves_no_event_and_commit_wakes_the_relay(
    settings: PlatformSettings, tmp_path: Path, unique: str
) -> None:
    url = settings.database_url_for("programmes")  # a fresh one, on the engine under test
    await upgrade_async("programmes", url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE programme (id TEXT PRIMARY KEY)"))
    outbox = Outbox("programmes", settings.source_for("programmes"))
    producers = outbox_producers_as(settings, f"wake-{unique}")
    # A poll interval far longer than the test: only the wake-up can publish in time.
    relay = OutboxRelay(sessions, producers, wake=outbox.wake, poll_interval=600)
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(0.5)  # the relay's first pass found nothing and sleeps

        with pytest.raises(RuntimeError):
            async with unit_of_work(sessions, outbox) as uow:
                await uow.session.execute(text("INSERT INTO programme VALUES ('rolled-back')"))
                await uow.emit(status_change(f"rb-{unique}"))
                raise RuntimeError("validation failed after the event was added")
        async with sessions() as session:
            assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0

        started = time.monotonic()
        async with unit_of_work(sessions, outbox) as uow:
            await uow.session.execute(text("INSERT INTO programme VALUES ('kept')"))
            event = await uow.emit(status_change(f"ok-{unique}"))
        await eventually(lambda: _sent(sessions), timeout=20)
        assert time.monotonic() - started < 20

        records = await read_topic(
            settings.kafka_bootstrap_servers,
            entry_for(ProgrammeStatusChanged).topic,
            lambda rs: any(header(r, "ce_id") == event.id for r in rs),
        )
        (record,) = [r for r in records if header(r, "ce_id") == event.id]
        assert record.key == f"ok-{unique}".encode()
        assert header(record, "ce_source") == settings.source_for("programmes")
        assert header(record, "ce_subject") == f"ok-{unique}"
        assert header(record, "ce_sequence") == "00000000000000000001"
        assert header(record, "content-type") == "application/json"
        assert not any(header(r, "ce_subject") == f"rb-{unique}" for r in records)
    finally:
        relay.stop()
        await task
        await engine.dispose()


async def _sent(sessions: object) -> bool:
    async with sessions() as session:  # type: ignore[operator]
        count = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.sent_at.is_not(None))
        )
        return bool(count)
