"""Whether a subscription can be accepted, and the test call that verifies its webhook endpoint.

The check names every reason at once, in one 422: the selection
(``domain/routing.check_selection``), the sinks and the url (its form, then
the addresses its host resolves to, judged as every delivery's are).

The test call is a signed POST (Standard Webhooks headers, the subscription's
secret) whose body is a CloudEvent of type
``nl.migratiesamenwerking.notifications.endpoint-verification`` (not a
catalogued event: it is never published). The endpoint must answer 2xx within
the verification timeout, without redirecting. The call goes the same way as
every delivery (``webhooks.post``: one lookup, the checked address, one
deadline, a capped read, generic reasons). It is made outside any unit of
work: a database transaction is never held open across a call to a receiver.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence

from services.notifications.context import NotificationsContext
from services.notifications.domain.routing import Filters, check_selection
from services.notifications.domain.signing import signed_headers
from services.notifications.domain.sinks import Sink, check_sinks
from services.notifications.domain.urls import check_form
from services.notifications.webhooks import RefusedAddress, make_client, post, target_of
from shared import telemetry
from shared.errors import Violation, raise_if
from shared.events.envelope import format_time

VERIFICATION_TYPE = "nl.migratiesamenwerking.notifications.endpoint-verification"


async def check_subscription(
    url: str | None,
    event_types: Sequence[str],
    channels: Sequence[str],
    filters: Filters,
    sinks: Sequence[Sink],
    ctx: NotificationsContext,
) -> None:
    """Every reason the subscription is refused, in one ``InvalidInput``."""
    violations = check_selection(event_types, channels, filters)
    violations += check_sinks(sinks, url)
    if url is not None and Sink.WEBHOOK in sinks:
        allowed = ctx.settings.allowed_endpoints
        reasons = check_form(url, allowed)
        if not reasons:
            try:
                await target_of(url, allowed, ctx.resolve)
            except RefusedAddress as refused:
                reasons = [refused.reason]
        violations += [Violation("url", reason) for reason in reasons]
    raise_if(violations)


async def verify_endpoint(
    url: str,
    secret: str,
    *,
    subscription_id: uuid.UUID,
    organisation: str,
    ctx: NotificationsContext,
) -> None:
    """The endpoint answered the test call with 2xx, or ``InvalidInput`` on ``url`` says why not."""
    now = ctx.now()
    call_id = str(uuid.uuid4())
    body = json.dumps(
        {
            "specversion": "1.0",
            "id": call_id,
            "source": ctx.source,
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
    if not outcome.delivered:
        reason = outcome.error or outcome.reason
        raise_if(
            [Violation("url", f"the endpoint did not answer the test call with 2xx ({reason})")]
        )
