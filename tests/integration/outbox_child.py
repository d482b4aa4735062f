"""A process the outbox tests start and kill -9: it commits events, or relays them.

``python -m tests.integration.outbox_child commit <db-url> <key-prefix> <keys> <per-key>``
commits events through the outbox and then idles without publishing, as a
service that dies between commit and publish would.

``python -m tests.integration.outbox_child relay <db-url> <batch> <pause-s> <txn-id> [crash]``
runs a relay (one replica: several may run on one database) until killed; the
pause between batches lets a test kill it mid-stream. It prints ``relaying
<holder>`` once started and ``published <n>`` after each batch it published.
``crash`` is where the relay kills itself (SIGKILL) during its first batch:
``before-commit`` (the batch is recorded in doubt, the Kafka transaction not
committed) or ``after-commit`` (committed on Kafka, the rows not yet marked sent).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import Any

from aiokafka import AIOKafkaProducer

from shared.contracts.programmes import ProgrammeStatusChanged
from shared.db import make_engine, make_session_factory
from shared.kafka.producer import outbox_producers
from shared.kafka.security import credentials_for
from shared.migrate import upgrade_async
from shared.outbox import Outbox, OutboxRelay
from shared.settings import PlatformSettings
from tests.support import example

#: The test relays' lease: short, so a takeover is quick to watch.
LEASE_TTL_S = 3.0
LEASE_RENEW_S = 0.5


async def commit(url: str, prefix: str, keys: int, per_key: int) -> None:
    settings = PlatformSettings()
    await upgrade_async("programmes", url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    outbox = Outbox("programmes", settings.source_for("programmes"))
    for round_ in range(per_key):
        async with sessions() as session, session.begin():
            for k in range(keys):
                status, previous = (6, 2) if round_ % 2 == 0 else (2, 6)
                await outbox.add(
                    session,
                    example(
                        ProgrammeStatusChanged,
                        programmeId=f"{prefix}-{k}",
                        status=status,
                        previousStatus=previous,
                    ),
                )
    print(f"committed {keys * per_key}", flush=True)
    await asyncio.Event().wait()  # idle until killed: nothing is ever published here


async def _die(*_args: Any, **_kwargs: Any) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


async def relay(url: str, batch: int, pause: float, transactional_id: str, crash: str) -> None:
    settings = PlatformSettings()
    engine = make_engine(url)
    programmes = credentials_for(settings, settings.principal_of("programmes"))
    producers = outbox_producers(settings, "programmes", programmes, transactional_id)
    relay = OutboxRelay(
        make_session_factory(engine),
        producers,
        batch_size=batch,
        service="programmes",
        lease_ttl=LEASE_TTL_S,
        lease_renew_every=LEASE_RENEW_S,
    )
    if crash == "after-commit":
        relay._mark = _die  # type: ignore[method-assign]
    elif crash == "before-commit":
        AIOKafkaProducer.commit_transaction = _die
    print(f"relaying {relay.lease.holder}", flush=True)
    while True:
        published = await relay.publish_pending()
        if published:
            print(f"published {published}", flush=True)
        await asyncio.sleep(pause if published else 0.05)


if __name__ == "__main__":
    mode, url, *rest = sys.argv[1:]
    if mode == "commit":
        asyncio.run(commit(url, rest[0], int(rest[1]), int(rest[2])))
    else:
        crash = rest[3] if len(rest) > 3 else ""
        asyncio.run(relay(url, int(rest[0]), float(rest[1]), rest[2], crash))
