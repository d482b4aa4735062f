"""Last line of defence against credentials in exported spans.

Our own code never puts secrets in attributes, and the HTTP instrumentations
capture no headers unless ``OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_*`` asks
them to. But one such setting (``.*`` while debugging) would send bearer tokens
and webhook secrets to a collector or leave them in a file under ``var/``. So every
exporter is wrapped: any attribute whose name ends in a credential-like word has
its value replaced before the span leaves the process. Spans without such
attributes (nearly all) pass through untouched, as the same object.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.util.types import Attributes

REDACTED = "[REDACTED]"

#: Matched against the last dot-separated segment of an attribute name, e.g.
#: ``http.request.header.authorization`` or ``webhook.secret``.
SENSITIVE = re.compile(
    r"(authorization|cookie|password|passwd|secret|token|api[-_]?key|signature|credential)",
    re.IGNORECASE,
)


def is_sensitive(name: str) -> bool:
    return bool(SENSITIVE.search(name.rsplit(".", 1)[-1]))


def _needs_redaction(attributes: Attributes) -> bool:
    return bool(attributes) and any(is_sensitive(name) for name in attributes or {})


def redact_attributes(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    return {
        name: REDACTED if is_sensitive(name) else value
        for name, value in (attributes or {}).items()
    }


def redact_span(span: ReadableSpan) -> ReadableSpan:
    """``span`` itself if it is clean, else a copy with sensitive values replaced."""
    if not _needs_redaction(span.attributes) and not any(
        _needs_redaction(event.attributes) for event in span.events
    ):
        return span
    events = [
        Event(event.name, redact_attributes(event.attributes), event.timestamp)
        for event in span.events
    ]
    return ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=redact_attributes(span.attributes),
        events=events,
        links=span.links,
        kind=span.kind,
        status=span.status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


class RedactingSpanExporter(SpanExporter):
    """Wraps an exporter so that it never sees credential-like attribute values."""

    def __init__(self, inner: SpanExporter) -> None:
        self.inner = inner

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self.inner.export([redact_span(span) for span in spans])

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self.inner.force_flush(timeout_millis)
