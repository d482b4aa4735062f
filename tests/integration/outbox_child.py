"""A process the outbox tests start and kill -9: it commits events, or relays them.

``python -m tests.integration.outbox_child commit <db-url> <key-prefix> <keys> <per-key>``
commits events through the outbox and then idles without publishing, as a
service that dies between commit and publish would.

``python -m tests.integration.outbox_child relay <db-url> <batch> <pause-s>`` runs
the relay until killed; the pause between batches lets a test kill it mid-stream.
"""

from __future__ import annotations

import asyncio
import sys

from shared.contracts.programmes import ProgrammeStatusChanged
from shared.db import make_engine, make_session_factory
from shared.kafka.producer import make_producer
from shared.kafka.security import credentials_for
from shared.migrate import upgrade_async
from shared.outbox import Outbox, OutboxRelay
from shared.settings import PlatformSettings
from tests.support import example


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


async def relay(url: str, batch: int, pause: float) -> None:
    settings = PlatformSettings()
    engine = make_engine(url)
    programmes = credentials_for(settings, settings.principal_of("programmes"))
    producer = make_producer(settings, "test-outbox-relay", programmes)
    await producer.start()
    relay = OutboxRelay(make_session_factory(engine), producer, batch_size=batch)
    print("relaying", flush=True)
    while True:
        published = await relay.publish_pending()
        await asyncio.sleep(pause if published else 0.05)


if __name__ == "__main__":
    mode, url, *rest = sys.argv[1:]
    if mode == "commit":
        asyncio.run(commit(url, rest[0], int(rest[1]), int(rest[2])))
    else:
        asyncio.run(relay(url, int(rest[0]), float(rest[1])))
