"""Signing secrets are sealed in the database; the worker opens them to sign, a wrong key stops it.

Also the migration that seals secrets stored in plain text by earlier versions.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from cryptography.fernet import Fernet

from services.notifications.context import NotificationsContext
from services.notifications.domain.signing import new_secret
from services.notifications.service_layer.attempts import attempt_delivery
from services.notifications.storage import deliveries
from services.notifications.storage.secret_box import KEY_ENV, SecretBox, SecretsKeyError
from services.notifications.webhooks import make_client
from services.notifications.worker import DeliveryWorker
from shared.migrate import alembic_config, upgrade
from tests.notifications.conftest import FLAGGED, Service, cloud_event, deliver, flagged
from tests.notifications.offline import offline
from tests.support import eventually
from tests.webhook_receiver import Receiver

__all__ = ["offline"]  # the fixture, imported for pytest to find


def raw_database(service: Service) -> bytes:
    """Every byte SQLite keeps for the database: the file and its write-ahead log."""
    path = service.settings.var_dir / "notifications.db"
    files = [path, path.with_name(path.name + "-wal")]
    return b"".join(p.read_bytes() for p in files if p.exists())


def stored_secrets(service: Service) -> list[tuple[str | None, str | None]]:
    path = service.settings.var_dir / "notifications.db"
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT secret, previous_secret FROM subscription").fetchall()


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
    raw = raw_database(offline)
    for plain in (secret, new):
        assert plain.encode() not in raw
        assert plain.removeprefix("whsec_").encode() not in raw
    [(sealed, previous)] = stored_secrets(offline)
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
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = Fernet.generate_key().decode()
    monkeypatch.setenv(KEY_ENV, key)
    url = f"sqlite+aiosqlite:///{tmp_path / 'n.db'}"
    config = alembic_config("notifications", url)
    command.upgrade(config, "notifications_0002")
    secret, previous = new_secret(), new_secret()
    now = datetime.now(UTC).isoformat()
    with sqlite3.connect(tmp_path / "n.db") as connection:
        connection.execute(
            "INSERT INTO subscription (subscription_id, organisation, url, description,"
            " event_types, channels, filters, status, secret, previous_secret, created_at,"
            " updated_at, sinks) VALUES (?, 'am', 'https://hooks.example.org/', '', '[]',"
            " '[]', '{}', 'active', ?, ?, ?, ?, '[\"webhook\"]')",
            (uuid.uuid4().hex, secret, previous, now, now),
        )
    upgrade("notifications", url)
    raw = (tmp_path / "n.db").read_bytes()
    assert secret.encode() not in raw and previous.encode() not in raw
    with sqlite3.connect(tmp_path / "n.db") as connection:
        [(sealed, sealed_previous)] = connection.execute(
            "SELECT secret, previous_secret FROM subscription"
        ).fetchall()
    box = SecretBox.of_key(key)
    assert (box.open(sealed), box.open(sealed_previous)) == (secret, previous)
    with pytest.raises(SecretsKeyError):
        SecretBox.of_key(Fernet.generate_key().decode()).open(sealed)

    command.downgrade(config, "notifications_0002")
    with sqlite3.connect(tmp_path / "n.db") as connection:
        assert connection.execute(
            "SELECT secret, previous_secret FROM subscription"
        ).fetchall() == [(secret, previous)]
