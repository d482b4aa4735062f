"""The demo loader and the local receiver: seed subscriptions whose deliveries verify and print."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from services.notifications import demo
from shared.cli.receiver import make_server, read_secrets
from shared.http.auth import issue_token
from tests.databases import TestDatabases
from tests.notifications.conftest import (
    cloud_event,
    deliver,
    fast_settings,
    flagged,
    running,
    settings_for,
)
from tests.support import eventually
from tests.webhook_receiver import free_port


async def test_demo_subscriptions_reach_the_receiver_verified(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    database: TestDatabases,
) -> None:
    port = free_port()
    monkeypatch.setenv("TASKFORCE_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("TASKFORCE_WEBHOOK_RECEIVER_URL", f"http://127.0.0.1:{port}")
    secrets_file = tmp_path / "secrets" / "webhook-receiver.json"
    lines: list[str] = []
    server = make_server(port, secrets_file, out=lines.append)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings = settings_for(tmp_path, None, database=database)
    try:
        allowed = fast_settings(allowed_hosts=[f"127.0.0.1:{port}"])
        async with running(settings, allowed) as service:

            def token_for(organisation: str, scopes: list[str]) -> str:
                return issue_token(settings, organisation, scopes)

            assert await demo.load(service.client, "http://test", token_for) == 8
            # One made before subscriptions had sinks is brought up to all three.
            headers = {"Authorization": f"Bearer {token_for('bz', demo.WRITE)}"}
            [mine] = (await service.client.get("/v1/subscriptions", headers=headers)).json()[
                "items"
            ]
            assert mine["sinks"] == ["webhook", "inbox", "stream"]
            path = f"/v1/subscriptions/{mine['subscriptionId']}"
            narrowed = await service.client.patch(
                path, json={"sinks": ["webhook", "inbox"]}, headers=headers
            )
            assert narrowed.json()["sinks"] == ["webhook", "inbox"], narrowed.text
            assert await demo.load(service.client, "http://test", token_for) == 0
            assert (await service.client.get(path, headers=headers)).json()["sinks"] == demo.SINKS
            assert set(read_secrets(secrets_file)) == {
                "am",
                "bz",
                "jenv",
                "kmar",
                "ind",
                "coa",
                "dtv",
                "politie",
            }
            assert secrets_file.stat().st_mode & 0o077 == 0, "owner-only"
            assert sum("endpoint verification" in line for line in lines) == 8

            event = cloud_event(flagged(owningOrganisation="am", partnerOrganisations=["kmar"]))
            await deliver(service, event)
            await eventually(lambda: sum("signature verified" in line for line in lines) == 2)
            arrived = [line for line in lines if "signature verified" in line]
            assert {line.split()[2] for line in arrived} == {"am", "kmar"}
            assert all("whsec_" not in line for line in lines), "secrets are never printed"

            # A lost secrets file: the next load rotates and writes the new secrets.
            secrets_file.unlink()
            assert await demo.load(service.client, "http://test", token_for) == 0
            assert len(read_secrets(secrets_file)) == 8
            await deliver(service, cloud_event(flagged(owningOrganisation="jenv")))
            await eventually(lambda: sum("jenv <-" in line for line in lines) == 1)
            assert not [line for line in lines if "NOT verified" in line]
    finally:
        server.shutdown()
        server.server_close()
