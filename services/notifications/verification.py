"""The test call that verifies a webhook endpoint when a subscription is created or changed.

A signed POST (Standard Webhooks headers, the subscription's secret) whose body
is a CloudEvent of type ``nl.migratiesamenwerking.notifications.endpoint-verification``
(not a catalogued event: it is never published). The endpoint must answer 2xx
within the verification timeout, without redirecting. The call goes the same
way as every delivery (``webhooks.post``: one lookup, the checked address,
one deadline, a capped read, generic reasons).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime

from services.notifications.context import NotificationsContext
from services.notifications.domain.signing import signed_headers
from services.notifications.webhooks import make_client, post
from shared import telemetry
from shared.events.envelope import format_time

VERIFICATION_TYPE = "nl.migratiesamenwerking.notifications.endpoint-verification"


async def verify_endpoint(
    ctx: NotificationsContext,
    *,
    url: str,
    secret: str,
    subscription_id: uuid.UUID,
    organisation: str,
    source: str,
    now: datetime,
) -> str | None:
    """``None`` when the endpoint answered 2xx, else why it did not."""
    call_id = str(uuid.uuid4())
    body = json.dumps(
        {
            "specversion": "1.0",
            "id": call_id,
            "source": source,
            "type": VERIFICATION_TYPE,
            "time": format_time(now),
            "subject": str(subscription_id),
            "datacontenttype": "application/json",
            "data": {"subscriptionId": str(subscription_id), "organisation": organisation},
        },
        separators=(",", ":"),
    )
    headers = signed_headers(call_id, now, body, [secret])
    headers.update(telemetry.current_trace_headers())
    timeout = ctx.settings.verification_timeout_s
    async with make_client(timeout) as client:
        outcome = await post(
            client,
            url,
            body,
            headers,
            now=now,
            allowed=ctx.settings.allowed_endpoints,
            deadline_s=timeout,
            resolve=ctx.resolve,
        )
    if outcome.delivered:
        return None
    return f"the endpoint did not answer the test call with 2xx ({outcome.error or outcome.reason})"
