"""Demo subscriptions for a running notifications service, made through its public HTTP API.

``taskforce demo load`` and ``make up`` call :func:`load` (before the other
services' demo data, so their events are routed). The owning ministries of
the demo programmes (A&M, Foreign Affairs, Justice and Security) and the
implementing agencies (KMar, IND, COA, DT&V, National Police) each subscribe
to the monitoring and programmes topics for what they own or take part in,
with every sink: a webhook at the local receiver
(``http://127.0.0.1:8099/<organisation>``, ``TASKFORCE_WEBHOOK_RECEIVER_URL``
to change it), the inbox, and the organisation's own stream on Kafka
(``taskforce.org.<code>.v1``, readable with its principal's credentials).

The secret is only shown when a subscription is created, so the loader
generates it, writes it to the receiver's secrets file first
(``var/secrets/webhook-receiver.json``, owner-only) and passes it in: the
receiver can verify even the endpoint verification call. A second run
creates nothing; a subscription whose secret is missing from the file gets a
new one by rotation.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import httpx

from services.notifications.domain.signing import new_secret
from shared.cli.receiver import DEFAULT_PORT, read_secrets, secrets_path, write_secret
from shared.demo import DemoLoadError

WRITE = ["notifications:write"]
OWNING_MINISTRIES = ("am", "bz", "jenv")
IMPLEMENTING_AGENCIES = ("kmar", "ind", "coa", "dtv", "politie")
DESCRIPTION = "Demo: what we own or take part in (local receiver)"
SINKS = ["webhook", "inbox", "stream"]


def receiver_url() -> str:
    default = f"http://127.0.0.1:{DEFAULT_PORT}"
    return os.environ.get("TASKFORCE_WEBHOOK_RECEIVER_URL", default).rstrip("/")


def _checked(response: httpx.Response, expected: int) -> Any:
    if response.status_code != expected:
        raise DemoLoadError(f"{response.request.method} {response.request.url}: {response.text}")
    return response.json()


async def load(
    client: httpx.AsyncClient, base_url: str, token_for: Callable[[str, list[str]], str]
) -> int:
    """Create the seed subscriptions that do not exist yet; returns how many were created."""
    api = f"{base_url.rstrip('/')}/v1"
    secrets_file = secrets_path()
    known = read_secrets(secrets_file)
    created = 0
    for organisation in (*OWNING_MINISTRIES, *IMPLEMENTING_AGENCIES):
        headers = {"Authorization": f"Bearer {token_for(organisation, WRITE)}"}
        url = f"{receiver_url()}/{organisation}"
        listed = _checked(
            await client.get(f"{api}/subscriptions?pageSize=100", headers=headers), 200
        )
        existing = [
            s for s in listed["items"] if s["url"] == url and s["description"] == DESCRIPTION
        ]
        if existing:
            subscription_id = existing[0]["subscriptionId"]
            if set(existing[0]["sinks"]) != set(SINKS):  # made before subscriptions had sinks
                _checked(
                    await client.patch(
                        f"{api}/subscriptions/{subscription_id}",
                        json={"sinks": SINKS},
                        headers=headers,
                    ),
                    200,
                )
            if organisation not in known:
                rotated = _checked(
                    await client.post(
                        f"{api}/subscriptions/{subscription_id}/secret-rotations", headers=headers
                    ),
                    201,
                )
                write_secret(secrets_file, organisation, rotated["secret"])
            continue
        secret = new_secret()
        write_secret(secrets_file, organisation, secret)
        body = {
            "url": url,
            "description": DESCRIPTION,
            "channels": ["monitoring", "programmes"],
            "filters": {"owningOrganisation": ["mine"]},
            "sinks": SINKS,
            "secret": secret,
        }
        _checked(await client.post(f"{api}/subscriptions", json=body, headers=headers), 201)
        created += 1
    return created
