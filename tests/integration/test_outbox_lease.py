"""The outbox lease: one holder among racing replicas, on SQLite and on PostgreSQL.

Broker-free: the lease is the database's business. Each replica has an engine of
its own (as a process would), so on PostgreSQL the conditional UPDATE and the
INSERT ... ON CONFLICT really race in separate transactions.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import update

from shared.db import make_engine, make_session_factory
from shared.migrate import upgrade_async
from shared.outbox_lease import Lease, LeaseLost
from shared.outbox_tables import OutboxLease
from tests.databases import TestDatabases

REPLICAS = 8


@asynccontextmanager
async def replicas(
    database: TestDatabases, tmp_path: Path, ttl: float = 3.0
) -> AsyncIterator[list[Lease]]:
    """``REPLICAS`` leases on one fresh, migrated database, each through an engine of its own."""
    url = database.url_for("lease", tmp_path)
    await upgrade_async("programmes", url)
    engines = [make_engine(url) for _ in range(REPLICAS)]
    try:
        yield [
            Lease(make_session_factory(engine), "outbox:programmes", ttl=ttl, renew_every=ttl / 3)
            for engine in engines
        ]
    finally:
        for engine in engines:
            await engine.dispose()


async def _expire(lease: Lease) -> None:
    """As if the holder had not renewed for longer than the TTL."""
    async with lease.sessions() as session, session.begin():
        await session.execute(update(OutboxLease).values(expires_at=0.0))


async def test_one_of_racing_replicas_takes_the_lease_and_the_next_takes_over_after_it(
    database: TestDatabases, tmp_path: Path
) -> None:
    async with replicas(database, tmp_path) as leases:
        last_epoch = 0
        for round_ in range(1, 6):
            # Every replica that is not the holder asks at the same moment, again and again.
            won = await asyncio.gather(*(lease.hold() for lease in leases))
            holders = [lease for lease, held in zip(leases, won, strict=True) if held]
            assert len(holders) == 1, f"round {round_}: {len(holders)} holders"
            (holder,) = holders
            assert holder.epoch is not None and holder.epoch > last_epoch, "epoch not bumped"
            last_epoch = holder.epoch
            again = await asyncio.gather(*(lease.hold() for lease in leases if lease is not holder))
            assert not any(again), "a second replica took a lease that had not expired"

            await _expire(holder)
            if round_ % 2:
                last_epoch = await _take_from(holder, leases)
            else:
                await holder.release()
                assert holder.epoch is None


async def _take_from(holder: Lease, leases: list[Lease]) -> int:
    """Another replica takes the expired lease; the old holder's writes then change nothing."""
    others = [lease for lease in leases if lease is not holder]
    won = await asyncio.gather(*(lease.hold() for lease in others))
    assert sum(won) == 1
    async with holder.sessions() as session, session.begin():
        with pytest.raises(LeaseLost):
            await holder.guard(session, in_doubt=[1, 2, 3])
    assert holder.epoch is None
    assert await holder.in_doubt() == []
    # The new holder gives it up for the next round's race.
    (new,) = [lease for lease, held in zip(others, won, strict=True) if held]
    assert new.epoch is not None
    epoch = new.epoch
    await new.release()
    return epoch


async def test_a_renewed_lease_stays_with_its_holder(
    database: TestDatabases, tmp_path: Path
) -> None:
    async with replicas(database, tmp_path, ttl=1.5) as leases:
        holder, *others = leases
        assert await holder.hold()
        for _ in range(6):  # three TTLs, renewed every half second
            await asyncio.sleep(0.5)
            assert await holder.hold()
            assert not any(await asyncio.gather(*(lease.hold() for lease in others)))
        assert holder.epoch == 1


async def test_a_batch_outlasting_the_local_margin_keeps_the_lease_nobody_took(
    database: TestDatabases, tmp_path: Path
) -> None:
    """A holder whose batch ran past its margin (a busy process) still commits it.

    Its guard finds the epoch unchanged and renews: the batch is not given up and
    sent again, which under load repeated batch after batch.
    """
    async with replicas(database, tmp_path, ttl=1.5) as leases:
        holder, *others = leases
        assert await holder.hold()
        await asyncio.sleep(0.8)  # past ttl - 2 * renew_every: no longer trusted locally
        assert not holder.held
        async with holder.sessions() as session, session.begin():
            await holder.guard(session, in_doubt=[1, 2])
        assert holder.held and holder.epoch == 1
        assert await holder.in_doubt() == [1, 2]
        await asyncio.sleep(0.9)  # renewed by the guard: past the first expiry, not this one
        assert not any(await asyncio.gather(*(lease.hold() for lease in others)))
