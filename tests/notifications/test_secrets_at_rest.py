"""Signing secrets are sealed in the database; the worker opens them to sign, a wrong key stops it.

Also the migration that seals secrets stored in plain text by earlier versions.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from cryptography.fernet import Fernet

from services.notifications.context import NotificationsContext
from services.notifications.domain.signing import new_secret
from services.notifications.service_layer.attempts import attempt_delivery
from services.notifications.storage import deliveries
from services.notifications.storage.secret_box import KEY_ENV, SecretBox, SecretsKeyError
from services.notifications.webhooks import make_client
from services.notifications.worker import DeliveryWorker
from shared.db import make_engine
from shared.migrate import alembic_config, upgrade
from tests.databases import TestDatabases
from tests.notifications.conftest import FLAGGED, Service, cloud_event, deliver, flagged
from tests.notifications.offline import offline
from tests.support import eventually
from tests.webhook_receiver import Receiver

__all__ = ["offline"]  # the fixture, imported for pytest to find


def raw_database(service: Service) -> bytes:
    """Every byte SQLite keeps for the database: the file and its write-ahead log (on
    PostgreSQL, nothing: what is stored is read through SQL in ``every_stored_value``)."""
    path = service.settings.var_dir / "notifications.db"
    files = [path, path.with_name(path.name + "-wal")]
    return b"".join(p.read_bytes() for p in files if p.exists())


async def every_stored_value(service: Service) -> str:
    """Every row of every table of the service's database, as text."""
    async with service.runtime.engine.connect() as connection:
        names = await connection.run_sync(lambda c: sa.inspect(c).get_table_names())
        rows = [
            repr(row)
            for name in sorted(names)
            for row in await connection.execute(sa.text(f'SELECT * FROM "{name}"'))
        ]
    return "\n".join(rows)


async def stored_secrets(service: Service) -> list[tuple[str | None, str | None]]:
    async with service.runtime.engine.connect() as connection:
        found = await connection.execute(SECRETS)
        return [(row[0], row[1]) for row in found]


def sql(url: str, statement: sa.TextClause, **values: object) -> list[tuple[Any, ...]]:
    """``statement`` run and committed on the database at ``url``; its rows, if any."""

    async def run() -> list[tuple[Any, ...]]:
        engine = make_engine(url)
        try:
            async with engine.begin() as connection:
                result = await connection.execute(statement, values)
                return [tuple(row) for row in result] if result.returns_rows else []
        finally:
            await engine.dispose()

    return asyncio.run(run())


SECRETS = sa.text("SELECT secret, previous_secret FROM subscription")


async def test_secrets_are_not_in_the_database_file_and_still_sign(
    offline: Service, receiver: Receiver
) -> None:
    created = await offline.subscribe(
        "am", url=receiver.url("/am"), eventTypes=[FLAGGED], channels=[]
    )
    secret = created["secret"]
    rotated = await offline.client.post(
        f"/v1/subscriptions/{created['subscriptionId']}/secret-rotations",
        headers=offline.auth("am"),
    )
    assert rotated.status_code == 201
    new = rotated.json()["secret"]
    raw, stored = raw_database(offline), await every_stored_value(offline)
    assert "gAAAA" in stored  # the sealed ones are in what is read
    for plain in (secret, new):
        assert plain.encode() not in raw
        assert plain.removeprefix("whsec_").encode() not in raw
        assert plain.removeprefix("whsec_") not in stored
    [(sealed, previous)] = await stored_secrets(offline)
    assert sealed is not None and previous is not None
    assert sealed.startswith("gAAAA") and previous.startswith("gAAAA")

    await deliver(offline, cloud_event(flagged()))
    worker = DeliveryWorker(offline.runtime, offline.app.state.context)
    task = asyncio.create_task(worker.run())
    try:
        await eventually(lambda: receiver.deliveries("/am"), timeout=10)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    (received,) = receiver.deliveries("/am")
    received.verified(new)
    received.verified(secret)  # still signing in its grace period


async def test_a_wrong_secrets_key_stops_the_worker_before_it_signs_anything(
    offline: Service, receiver: Receiver
) -> None:
    await offline.subscribe("coa", url=receiver.url("/coa"), eventTypes=[FLAGGED], channels=[])
    await deliver(offline, cloud_event(flagged()))
    ctx: NotificationsContext = offline.app.state.context
    ctx = replace(ctx, secrets=SecretBox.of_key(Fernet.generate_key().decode()))
    worker = DeliveryWorker(offline.runtime, ctx)
    with pytest.raises(SecretsKeyError, match="not the one it was sealed with"):
        await asyncio.wait_for(worker.run(), timeout=10)
    async with offline.runtime.sessions() as session:
        (due,) = await deliveries.due(session, datetime.now(UTC), 10)
    async with make_client(1.0) as client:
        with pytest.raises(SecretsKeyError):
            await attempt_delivery(due, client, ctx)
    assert receiver.deliveries() == []


def test_the_migration_seals_secrets_stored_in_plain_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database: TestDatabases
) -> None:
    key = Fernet.generate_key().decode()
    monkeypatch.setenv(KEY_ENV, key)
    url = database.url_for("notifications", tmp_path)
    config = alembic_config("notifications", url)
    command.upgrade(config, "notifications_0002")
    secret, previous = new_secret(), new_secret()
    now = datetime.now(UTC)
    sql(
        url,
        sa.text(
            "INSERT INTO subscription (subscription_id, organisation, url, description,"
            " event_types, channels, filters, status, secret, previous_secret, created_at,"
            " updated_at, sinks) VALUES (:id, 'am', 'https://hooks.example.org/', '', '[]',"
            " '[]', '{}', 'active', :secret, :previous, :now, :now, '[\"webhook\"]')"
        ),
        id=uuid.uuid4() if database.is_postgresql else uuid.uuid4().hex,
        secret=secret,
        previous=previous,
        now=now if database.is_postgresql else now.isoformat(),
    )
    upgrade("notifications", url)
    if not database.is_postgresql:
        raw = (tmp_path / "notifications.db").read_bytes()
        assert secret.encode() not in raw and previous.encode() not in raw
    [(sealed, sealed_previous)] = sql(url, SECRETS)
    assert secret not in (sealed, sealed_previous)
    box = SecretBox.of_key(key)
    assert (box.open(sealed), box.open(sealed_previous)) == (secret, previous)
    with pytest.raises(SecretsKeyError):
        SecretBox.of_key(Fernet.generate_key().decode()).open(sealed)

    command.downgrade(config, "notifications_0002")
    assert sql(url, SECRETS) == [(secret, previous)]
