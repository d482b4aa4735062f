"""A relay that lost the lease cannot publish, and per-key order survives late commits.

In one process, on SQLite and on PostgreSQL: a holder paused past its lease (a
"zombie") is fenced by the replica that took over, by the database and by Kafka
both; no service may take another's outbox transactional id; on PostgreSQL, a
row with a lower id that commits after a higher one was published goes out
next, and its key's order holds.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka import ConsumerRecord
from aiokafka.errors import KafkaError, TransactionalIdAuthorizationFailed
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts.programmes import ProgrammeStatusChanged
from shared.db import make_engine, make_session_factory
from shared.events.catalogue import entry_for
from shared.kafka.producer import (
    TransactionalProducers,
    outbox_producers,
    outbox_transactional_id,
)
from shared.kafka.security import load_credentials
from shared.migrate import upgrade_async
from shared.outbox import Outbox, OutboxLease, OutboxRelay
from shared.settings import PlatformSettings
from tests.databases import TestDatabases
from tests.support import header, read_topic, status_change

pytestmark = pytest.mark.kafka

TOPIC = entry_for(ProgrammeStatusChanged).topic


@pytest.fixture
async def sessions(settings: PlatformSettings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    assert settings.database_url is not None
    await upgrade_async("programmes", settings.database_url)
    engine = make_engine(settings.database_url)
    yield make_session_factory(engine)
    await engine.dispose()


def _producers(settings: PlatformSettings, unique: str) -> TransactionalProducers:
    programmes = load_credentials(settings.kafka_secrets, settings.principal_of("programmes"))
    return outbox_producers(
        settings, "programmes", programmes, f"taskforce.programmes.outbox.test-{unique}"
    )


def _relay(
    sessions: async_sessionmaker[AsyncSession], producers: TransactionalProducers, **lease: Any
) -> OutboxRelay:
    return OutboxRelay(sessions, producers, batch_size=2, service="programmes", **lease)


async def _records(
    settings: PlatformSettings, keys: set[str], total: int
) -> list[ConsumerRecord[bytes, bytes]]:
    def mine(records: list[ConsumerRecord[bytes, bytes]]) -> list[ConsumerRecord[bytes, bytes]]:
        return [r for r in records if r.key is not None and r.key.decode() in keys]

    found = await read_topic(
        settings.kafka_bootstrap_servers, TOPIC, lambda rs: len(mine(rs)) >= total
    )
    return sorted(mine(found), key=lambda r: (r.partition, r.offset))


def _sequences(records: list[ConsumerRecord[bytes, bytes]]) -> dict[str, list[int]]:
    ids = Counter(header(r, "ce_id") for r in records)
    assert max(ids.values()) == 1, "published twice"
    by_key: dict[str, list[int]] = defaultdict(list)
    for record in records:
        assert record.key is not None
        by_key[record.key.decode()].append(int(header(record, "ce_sequence") or 0))
    return by_key


async def test_a_holder_paused_past_its_lease_is_fenced(
    settings: PlatformSettings,
    sessions: async_sessionmaker[AsyncSession],
    unique: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = f"zombie-{unique}"
    outbox = Outbox("programmes", settings.source_for("programmes"))
    for _ in range(6):
        async with sessions() as session, session.begin():
            await outbox.add(session, status_change(key))
    producers = _producers(settings, unique)
    # It renews so seldom that it still believes it holds the lease after it expired.
    zombie = _relay(sessions, producers, lease_ttl=60.0, lease_renew_every=20.0)
    successor = _relay(sessions, producers, lease_ttl=3.0, lease_renew_every=1.0)
    try:
        assert await zombie.publish_pending() == 2
        async with sessions() as session, session.begin():  # the zombie's lease runs out
            await session.execute(update(OutboxLease).values(expires_at=0.0))
        assert await successor.publish_pending() == 2  # took over: its producer fenced the zombie's
        assert zombie.lease.held, "the zombie must still believe it holds the lease"

        # Even were the database's check passed, Kafka refuses the zombie's transaction.
        async def passed(*_args: Any, **_kwargs: Any) -> None:
            return None

        monkeypatch.setattr(zombie.lease, "guard", passed)
        with pytest.raises(KafkaError):
            await zombie.publish_pending()
        monkeypatch.undo()
        # Asking again, it learns from the database that the lease is another's.
        assert await zombie.publish_pending() == 0
        assert zombie.lease.epoch is None
        assert await successor.publish_pending() == 2
        assert await successor.publish_pending() == 0
    finally:
        await zombie.close()
        await successor.close()

    records = await _records(settings, {key}, 6)
    assert _sequences(records) == {key: [1, 2, 3, 4, 5, 6]}


async def test_a_row_committed_after_a_later_one_was_published_keeps_its_keys_order(
    settings: PlatformSettings,
    sessions: async_sessionmaker[AsyncSession],
    database: TestDatabases,
    unique: str,
) -> None:
    if not database.is_postgresql:
        pytest.skip("SQLite has one writer at a time: ids are always in commit order there")
    late, early = f"late-{unique}", f"early-{unique}"
    outbox = Outbox("programmes", settings.source_for("programmes"))
    relay = _relay(sessions, _producers(settings, unique))
    try:
        async with sessions() as slow:
            async with slow.begin():
                await outbox.add(slow, status_change(late))
                await slow.flush()  # the lower id is taken, not committed
                async with sessions() as quick, quick.begin():
                    await outbox.add(quick, status_change(early))
                assert await relay.publish_pending() == 1  # the higher id goes out first

                async def next_of_late_key() -> None:
                    async with sessions() as session, session.begin():
                        await outbox.add(session, status_change(late))

                # The key's next event waits for the first one's commit (its sequence row).
                follower = asyncio.create_task(next_of_late_key())
                await asyncio.sleep(0.5)
                assert not follower.done()
            await asyncio.wait_for(follower, 10)
        assert await relay.publish_pending() == 2
    finally:
        await relay.close()

    records = await _records(settings, {late, early}, 3)
    assert [r.key for r in records if r.key == early.encode()] == [early.encode()]
    assert _sequences(records) == {early: [1], late: [1, 2]}


async def test_a_service_cannot_take_over_another_services_outbox(
    settings: PlatformSettings,
) -> None:
    """Fencing another service's relay needs its transactional id: the ACLs refuse it."""
    programmes = load_credentials(settings.kafka_secrets, settings.principal_of("programmes"))
    mine = outbox_transactional_id(settings, "programmes")
    for service in ("monitoring", "countries"):
        theirs = outbox_producers(
            settings, "programmes", programmes, outbox_transactional_id(settings, service)
        ).new()
        with pytest.raises(TransactionalIdAuthorizationFailed):
            await asyncio.wait_for(theirs.start(), 30)
        await theirs.stop()
    own = outbox_producers(settings, "programmes", programmes, f"{mine}.test-acl").new()
    await asyncio.wait_for(own.start(), 30)
    await own.stop()
