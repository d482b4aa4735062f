"""Spans kept on the local disk, and the reader that follows a flow through them.

Without a collector, ops still need to answer "what happened to event X?" from the
command line. Each service process appends one JSON object per finished span to
``<var_dir>/telemetry/spans-<service>.jsonl``; ``find_trace`` joins the files of
all services, so a flow that crossed HTTP and Kafka hops reads as one trace.

The record is deliberately flat and stable (ids as lower-case hex, times as RFC
3339 UTC) so that ``jq`` and ``grep`` work on it as well as the ``taskforce``
command does.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from opentelemetry.sdk.metrics.export import MetricExporter, MetricExportResult, MetricsData
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import format_span_id, format_trace_id

from shared.telemetry._files import DEFAULT_MAX_BYTES, RotatingAppender, rotated

logger = logging.getLogger(__name__)

TELEMETRY_DIR = "telemetry"
#: Span attributes that identify the CloudEvent a span handled.
EVENT_ID_ATTRIBUTES = ("messaging.message.id", "cloudevents.event_id")

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def telemetry_dir(var_dir: Path) -> Path:
    return var_dir / TELEMETRY_DIR


def _file_stem(service: str) -> str:
    """A service name made safe to use in a file name."""
    return _UNSAFE.sub("_", service) or "unknown"


def spans_path(var_dir: Path, service: str) -> Path:
    """Where the local span exporter of ``service`` writes."""
    return telemetry_dir(var_dir) / f"spans-{_file_stem(service)}.jsonl"


def metrics_path(var_dir: Path, service: str) -> Path:
    """Where the local metric exporter of ``service`` writes."""
    return telemetry_dir(var_dir) / f"metrics-{_file_stem(service)}.jsonl"


# --------------------------------------------------------------------------- writing


def rfc3339(unix_nano: int | None) -> str | None:
    """``2026-11-29T23:19:05.123456Z``: UTC, microseconds, sortable as text."""
    if unix_nano is None:
        return None
    seconds, rest = divmod(unix_nano, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{rest // 1000:06d}Z"


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # keep every line strict JSON
    if isinstance(value, (list, tuple)):
        return [_json_value(item) for item in value]
    return value


def _json_attributes(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    return {key: _json_value(value) for key, value in (attributes or {}).items()}


def span_to_record(span: ReadableSpan) -> dict[str, Any]:
    """The JSON object written for one finished span."""
    context = span.context
    parent = span.parent
    start, end = span.start_time, span.end_time
    status = span.status
    record: dict[str, Any] = {
        "trace_id": format_trace_id(context.trace_id) if context else None,
        "span_id": format_span_id(context.span_id) if context else None,
        "parent_span_id": format_span_id(parent.span_id) if parent else None,
        "parent_is_remote": bool(parent.is_remote) if parent else False,
        "name": span.name,
        "kind": span.kind.name,
        "service": span.resource.attributes.get("service.name"),
        "scope": span.instrumentation_scope.name if span.instrumentation_scope else None,
        "start": rfc3339(start),
        "end": rfc3339(end),
        "duration_ms": round((end - start) / 1e6, 3) if start is not None and end else None,
        "status": {"code": status.status_code.name}
        | ({"description": status.description} if status.description else {}),
        "attributes": _json_attributes(span.attributes),
        "events": [
            {
                "name": event.name,
                "time": rfc3339(event.timestamp),
                "attributes": _json_attributes(event.attributes),
            }
            for event in span.events
        ],
        "links": [
            {
                "trace_id": format_trace_id(link.context.trace_id),
                "span_id": format_span_id(link.context.span_id),
                "attributes": _json_attributes(link.attributes),
            }
            for link in span.links
        ],
    }
    return record


def _encode_lines(records: Iterable[Mapping[str, Any]]) -> bytes:
    return b"".join(
        json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str).encode() + b"\n"
        for record in records
    )


class LocalSpanExporter(SpanExporter):
    """Appends finished spans as JSON Lines to a rotating file (use with a batch processor)."""

    def __init__(self, path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.path = path
        self._file = RotatingAppender(path, max_bytes)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            self._file.append(_encode_lines(span_to_record(span) for span in spans))
        except OSError:
            logger.exception("could not write spans to %s", self.path)
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        """Nothing is held open between exports."""

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True


class LocalMetricExporter(MetricExporter):
    """Appends each metrics collection as one JSON line (OTel's own JSON shape)."""

    def __init__(self, path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        super().__init__()
        self.path = path
        self._file = RotatingAppender(path, max_bytes)

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        try:
            self._file.append(metrics_data.to_json(indent=None).encode() + b"\n")
        except OSError:
            logger.exception("could not write metrics to %s", self.path)
            return MetricExportResult.FAILURE
        return MetricExportResult.SUCCESS

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        """Nothing is held open between exports."""


# --------------------------------------------------------------------------- reading


def _span_files(var_dir: Path) -> list[Path]:
    """Every service's span file, the older generation of each before the current one."""
    directory = telemetry_dir(var_dir)
    if not directory.is_dir():
        return []
    current = {p.with_name(p.name.removesuffix(".1")) for p in directory.glob("spans-*.jsonl.1")}
    current.update(directory.glob("spans-*.jsonl"))
    files: list[Path] = []
    for path in sorted(current):
        files.extend(p for p in (rotated(path), path) if p.is_file())
    return files


def iter_spans(var_dir: Path) -> Iterator[dict[str, Any]]:
    """Stream span records from all services' files, skipping damaged lines.

    A process killed mid-write can leave a truncated last line; that must not stop
    anyone from reading the rest.
    """
    for path in _span_files(var_dir):
        try:
            with path.open("rb") as handle:
                for line in handle:
                    try:
                        record = json.loads(line)
                    except ValueError:
                        continue
                    if isinstance(record, dict) and record.get("trace_id"):
                        yield record
        except FileNotFoundError:  # rotated away while we were listing
            continue


def _sort_key(record: Mapping[str, Any]) -> tuple[str, str]:
    return (str(record.get("start") or ""), str(record.get("end") or ""))


def read_spans(var_dir: Path) -> list[dict[str, Any]]:
    """All locally recorded spans of all services, oldest first."""
    return sorted(iter_spans(var_dir), key=_sort_key)


def _carries_event(record: Mapping[str, Any], event_id: str) -> bool:
    attributes = record.get("attributes")
    if not isinstance(attributes, dict):
        return False
    return any(attributes.get(name) == event_id for name in EVENT_ID_ATTRIBUTES)


def find_trace(
    var_dir: Path, trace_id: str | None = None, event_id: str | None = None
) -> list[dict[str, Any]]:
    """The spans of one flow, across all services, oldest first.

    Give exactly one of ``trace_id`` (32 hex digits) or ``event_id`` (a CloudEvent
    id): the latter finds the trace(s) in which some span carries
    ``messaging.message.id`` (or ``cloudevents.event_id``) equal to it. An event
    that was published more than once under different traces returns all of them.
    The files are streamed twice rather than loaded, as they can be large.
    """
    if (trace_id is None) == (event_id is None):
        raise ValueError("give exactly one of trace_id or event_id")
    if trace_id is not None:
        wanted = {trace_id.strip().lower().removeprefix("0x")}
    else:
        assert event_id is not None
        wanted = {
            str(record["trace_id"])
            for record in iter_spans(var_dir)
            if _carries_event(record, event_id)
        }
    if not wanted:
        return []
    return sorted((r for r in iter_spans(var_dir) if r["trace_id"] in wanted), key=_sort_key)
