"""The audit middleware: one record per write, per refusal and per need-to-know read.

Plain ASGI, so it sees every response, including those of exception handlers, and
records after the response has gone out: the caller never waits for the trail. A
successful change is normally recorded earlier, in the change's own transaction (see
:func:`shared.audit.context.record_change`); the middleware then adds nothing for it,
unless the answer turned out different from what the route declares (the change
committed, then the response failed), which it records as well.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.audit.context import (
    DENIED,
    AuditContext,
    activate,
    client_origin,
    current_trace_id,
    deactivate,
    trusted_networks,
)
from shared.audit.records import AuditEntry, append
from shared.audit_marks import sensitive_reads
from shared.db import write_gate
from shared.settings import PlatformSettings

log = logging.getLogger(__name__)


def _runtime(scope: Scope) -> Any:
    """The service runtime (its database) if this app has one; a bare API has no trail."""
    app = scope.get("app")
    return getattr(getattr(app, "state", None), "runtime", None)


class AuditMiddleware:
    def __init__(self, app: ASGIApp, *, settings: PlatformSettings) -> None:
        self.app = app
        self.trusted = trusted_networks(settings.audit_trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        runtime = _runtime(scope) if scope["type"] == "http" else None
        if runtime is None:
            await self.app(scope, receive, send)
            return
        context = AuditContext(
            service=runtime.service,
            scope=scope,
            origin=client_origin(scope, self.trusted),
            trace_id=current_trace_id(),
        )
        status: list[int] = []

        async def send_noting_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))
            await send(message)

        token = activate(context)
        try:
            await self.app(scope, receive, send_noting_status)
        except BaseException:
            await self._record(runtime, context, status[0] if status else 500)
            raise
        finally:
            deactivate(token)
        await self._record(runtime, context, status[0] if status else 500)

    async def _record(self, runtime: Any, context: AuditContext, status: int) -> None:
        entries = _entries(context, status)
        if not entries:
            return
        try:
            async with (
                write_gate(runtime.sessions),
                runtime.sessions() as session,
                session.begin(),
            ):
                await append(session, entries)
        except Exception:
            # The response has gone; what is lost must at least be visible to operators.
            log.exception(
                "audit trail: %d record(s) of %s not written", len(entries), context.action
            )


def _entries(context: AuditContext, status: int) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    recorded = context.recorded
    already = recorded is not None and (
        recorded == status or (recorded // 100 == 2 and status // 100 == 2)
    )
    if status in DENIED:
        entries.append(context.entry("denied", status))
    elif context.is_write and not already:
        entries.append(context.entry("write", status))
    entries += [context.entry("read", status, ref) for ref in sensitive_reads(context.scope)]
    return entries
