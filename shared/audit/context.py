"""What the audit trail knows about the request in flight, and how it finds it.

The audit middleware opens an :class:`AuditContext` per HTTP request and makes it the
current one (a context variable: the unit of work that runs inside the request's task
finds it without being handed anything). Authentication notes the verified caller on
the request's scope; the unit of work records a successful change in its own
transaction through :func:`record_change`, so a crash cannot leave a change without its
record.
"""

from __future__ import annotations

import ipaddress
import weakref
from collections.abc import Iterable, MutableMapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import fastapi.routing
from opentelemetry import trace
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit.records import AuditEntry, append

if TYPE_CHECKING:
    from shared.http.auth import Caller

WRITE_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Answers that refuse the caller; a 404 can be the answer for another organisation's thing.
DENIED: Final = frozenset({401, 403, 404, 413, 429})
_CALLER_KEY: Final = "taskforce.audit.caller"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def note_caller(scope: MutableMapping[str, Any], caller: Caller) -> None:
    """Remember who the verified token names, for every record of this request."""
    scope.setdefault("state", {})[_CALLER_KEY] = caller


def noted_caller(scope: MutableMapping[str, Any]) -> Caller | None:
    caller: Caller | None = scope.get("state", {}).get(_CALLER_KEY)
    return caller


def trusted_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _within(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in networks)


def client_origin(scope: MutableMapping[str, Any], trusted: tuple[Network, ...]) -> str | None:
    """The client's address: the peer, or what a trusted proxy says it forwarded for.

    ``X-Forwarded-For`` is read right to left, skipping trusted proxies, and only when
    the peer itself is one: anyone else could write whatever they like into it.
    """
    client = scope.get("client")
    peer = str(client[0]) if client else None
    if peer is None or not _within(peer, trusted):
        return peer
    forwarded = b",".join(
        value for name, value in scope.get("headers", []) if name == b"x-forwarded-for"
    ).decode("latin-1")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return peer  # a garbled header: the proxy is all that is known
        if not _within(hop, trusted):
            return hop
    return hops[0] if hops else peer


#: Per app: each route's full path template (included routers keep their own, unprefixed).
_TEMPLATES: weakref.WeakKeyDictionary[Any, dict[int, str]] = weakref.WeakKeyDictionary()


def _templates(app: Any) -> dict[int, str]:
    known = _TEMPLATES.get(app)
    if known is None:
        flatten = getattr(fastapi.routing, "iter_route_contexts", None)
        known = {}
        if flatten is not None:
            for context in flatten(app.routes):
                if isinstance(context.path_format, str):
                    known.setdefault(id(context.original_route), context.path_format)
        _TEMPLATES[app] = known
    return known


def route_template(scope: MutableMapping[str, Any]) -> str | None:
    """The matched route's path template, e.g. ``/v1/programmes/{programmeId}``; None if none.

    The template, not the path: it names the operation without the caller's values.
    """
    route = scope.get("route")
    if route is None:
        return None
    app = scope.get("app")
    template = _templates(app).get(id(route)) if app is not None else None
    fallback = getattr(route, "path", None)
    return template or (fallback if isinstance(fallback, str) else None)


def current_trace_id() -> str | None:
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


@dataclass
class AuditContext:
    """One HTTP request as the audit trail sees it."""

    service: str
    scope: MutableMapping[str, Any]
    origin: str | None
    trace_id: str | None = None
    #: The status a unit of work recorded in its committed transaction, if any.
    recorded: int | None = field(default=None)
    _pending: int | None = field(default=None, repr=False)

    @property
    def method(self) -> str:
        return str(self.scope.get("method", ""))

    @property
    def is_write(self) -> bool:
        return self.method in WRITE_METHODS

    @property
    def action(self) -> str:
        template = route_template(self.scope)
        return f"{self.method} {template or '(no route)'}"

    def declared_status(self) -> int:
        status = getattr(self.scope.get("route"), "status_code", None)
        return status if isinstance(status, int) else 200

    def entry(self, kind: str, result: int, object_ref: str | None = None) -> AuditEntry:
        caller = noted_caller(self.scope)
        return AuditEntry(
            service=self.service,
            kind=kind,
            actor=caller.person if caller else None,
            organisation=caller.organisation if caller else None,
            action=self.action,
            object=object_ref or str(self.scope.get("path", "")),
            result=result,
            origin=self.origin,
            token_id=caller.token_id if caller else None,
            trace_id=self.trace_id or current_trace_id(),
        )

    def committed(self) -> None:
        """The transaction holding the change's record has committed."""
        if self._pending is not None:
            self.recorded, self._pending = self._pending, None

    def abandoned(self) -> None:
        """The transaction holding the change's record rolled back: record it afterwards."""
        self._pending = None


_CURRENT: ContextVar[AuditContext | None] = ContextVar("audit_context", default=None)


def current() -> AuditContext | None:
    return _CURRENT.get()


def activate(context: AuditContext | None) -> Any:
    return _CURRENT.set(context)


def deactivate(token: Any) -> None:
    _CURRENT.reset(token)


async def record_change(session: AsyncSession) -> AuditContext | None:
    """Record the current request's change in ``session``'s transaction, once per request.

    Called by the unit of work just before it commits. Outside an HTTP request (an
    event consumer, a background task started at start-up) there is no context and
    nothing to record here; a read request's unit of work records nothing either.
    """
    context = _CURRENT.get()
    if context is None or not context.is_write or context.recorded is not None:
        return None
    if context._pending is not None:
        return None  # a unit of work nested in another: the outer one records
    status = context.declared_status()
    await append(session, [context.entry("write", status)])
    context._pending = status
    return context
