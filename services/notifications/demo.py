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

Who subscribes, and to what, is data: ``demo.json``.

The secret is only shown when a subscription is created, so the loader
generates it, writes it to the receiver's secrets file first
(``var/secrets/webhook-receiver.json``, owner-only) and passes it in: the
receiver can verify even the endpoint verification call. A second run
creates nothing; a subscription whose secret is missing from the file gets a
new one by rotation.
"""

from __future__ import annotations

import os
from typing import Any, Final

import httpx

from services.notifications.domain.signing import new_secret
from shared.cli.receiver import DEFAULT_PORT, read_secrets, secrets_path, write_secret
from shared.demo import DemoApi, TokenFor, demo_data

WRITE = ["notifications:write"]
DEMO: Final = demo_data("notifications")
#: What every demo subscription is: its description, selection and sinks.
SUBSCRIPTION: Final[dict[str, Any]] = DEMO["subscription"]
DESCRIPTION: Final[str] = SUBSCRIPTION["description"]
SINKS: Final[list[str]] = SUBSCRIPTION["sinks"]


def receiver_url() -> str:
    default = f"http://127.0.0.1:{DEFAULT_PORT}"
    return os.environ.get("TASKFORCE_WEBHOOK_RECEIVER_URL", default).rstrip("/")


async def load(client: httpx.AsyncClient, base_url: str, token_for: TokenFor) -> int:
    """Create the seed subscriptions that do not exist yet; returns how many were created."""
    api = DemoApi(client, base_url, token_for, WRITE)
    secrets_file = secrets_path()
    known = read_secrets(secrets_file)
    created = 0
    for organisation in DEMO["organisations"]:
        url = f"{receiver_url()}/{organisation}"
        listed = await api.request("GET", "/subscriptions?pageSize=100", organisation)
        existing = [
            s for s in listed["items"] if s["url"] == url and s["description"] == DESCRIPTION
        ]
        if existing:
            path = f"/subscriptions/{existing[0]['subscriptionId']}"
            if set(existing[0]["sinks"]) != set(SINKS):  # made before subscriptions had sinks
                await api.request("PATCH", path, organisation, json={"sinks": SINKS})
            if organisation not in known:
                rotated = await api.request("POST", f"{path}/secret-rotations", organisation)
                write_secret(secrets_file, organisation, rotated["secret"])
            continue
        secret = new_secret()
        write_secret(secrets_file, organisation, secret)
        body = {**SUBSCRIPTION, "url": url, "secret": secret}
        await api.request("POST", "/subscriptions", organisation, json=body)
        created += 1
    return created
