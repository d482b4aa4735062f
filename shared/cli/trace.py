"""``taskforce trace``: one flow as a tree, from the spans every service keeps locally.

The spans come from ``<var>/telemetry/spans-*.jsonl`` (``TASKFORCE_VAR_DIR``
decides where ``<var>`` is), so no collector is needed. Each line shows the
span's offset from the start of the trace, its duration, the service, the
operation, and for Kafka hops the topic and event type.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import typer

from shared.settings import PlatformSettings
from shared.telemetry import find_trace

_TRACE_ID = re.compile(r"^(0x)?[0-9a-fA-F]{32}$")


def _start(record: Mapping[str, Any]) -> datetime | None:
    text = record.get("start")
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _describe(record: Mapping[str, Any]) -> str:
    attributes = record.get("attributes")
    attributes = attributes if isinstance(attributes, dict) else {}
    parts = [f"{record.get('service') or '?'}: {record.get('name') or '?'}"]
    kind = str(record.get("kind") or "").removeprefix("SpanKind.")
    if kind and kind != "INTERNAL":
        parts.append(f"[{kind.lower()}]")
    details: list[str] = []
    topic = attributes.get("messaging.destination.name")
    if topic:
        partition = attributes.get("messaging.destination.partition.id")
        offset = attributes.get("messaging.kafka.offset")
        where = f"topic={topic}"
        if partition is not None and offset is not None:
            where += f"[{partition}]@{offset}"
        details.append(where)
    event_type = attributes.get("cloudevents.event_type")
    if event_type:
        details.append(f"type={str(event_type).rsplit('.', 1)[-1]}")
    event_id = attributes.get("messaging.message.id") or attributes.get("cloudevents.event_id")
    if event_id:
        details.append(f"event={event_id}")
    status = attributes.get("http.response.status_code") or attributes.get("http.status_code")
    if status is not None:
        details.append(f"http={status}")
    host = attributes.get("server.address")
    if host and not topic:
        details.append(f"host={host}")
    outcome = record.get("status")
    if isinstance(outcome, dict) and outcome.get("code") == "ERROR":
        reason = outcome.get("description")
        details.append(f"ERROR ({reason})" if reason else "ERROR")
    return " ".join(parts + details)


def render(spans: Sequence[Mapping[str, Any]]) -> list[str]:
    """The spans of one or more traces as indented trees, children by start time."""
    by_trace: dict[str, list[Mapping[str, Any]]] = {}
    for span in spans:
        by_trace.setdefault(str(span.get("trace_id")), []).append(span)
    lines: list[str] = []
    for trace_id, members in by_trace.items():
        if lines:
            lines.append("")
        lines.extend(_render_trace(trace_id, members))
    return lines


def _render_trace(trace_id: str, members: list[Mapping[str, Any]]) -> list[str]:
    members = sorted(members, key=lambda s: str(s.get("start") or ""))
    starts = [moment for s in members if (moment := _start(s)) is not None]
    origin = min(starts) if starts else None
    ids = {s.get("span_id") for s in members}
    children: dict[str, list[Mapping[str, Any]]] = {}
    roots: list[Mapping[str, Any]] = []
    for span in members:
        parent = span.get("parent_span_id")
        if parent and parent in ids:
            children.setdefault(str(parent), []).append(span)
        else:
            roots.append(span)
    services = sorted({str(s.get("service")) for s in members})
    ends = [moment + _duration(s) for s in members if (moment := _start(s)) is not None]
    total = (max(ends) - origin).total_seconds() * 1000 if origin and ends else 0.0
    lines = [
        f"trace {trace_id}: {len(members)} spans, {len(services)} services "
        f"({', '.join(services)}), {total:.1f} ms",
        f"{'offset':>10} {'duration':>10}  span",
    ]

    def walk(span: Mapping[str, Any], prefix: str, last: bool, depth: int) -> None:
        moment = _start(span)
        offset = (moment - origin).total_seconds() * 1000 if moment and origin else 0.0
        duration = span.get("duration_ms")
        took = f"{float(duration):.1f} ms" if isinstance(duration, (int, float)) else "?"
        branch = "" if depth == 0 else ("└─ " if last else "├─ ")
        note = ""
        if depth == 0 and span.get("parent_span_id"):
            note = f" (parent {span['parent_span_id']} not recorded)"
        lines.append(
            f"{f'+{offset:.1f} ms':>10} {took:>10}  {prefix}{branch}{_describe(span)}{note}"
        )
        kids = children.get(str(span.get("span_id")), [])
        extension = "" if depth == 0 else ("   " if last else "│  ")
        for index, child in enumerate(kids):
            walk(child, prefix + extension, index == len(kids) - 1, depth + 1)

    for root in roots:
        walk(root, "", True, 0)
    return lines


def _duration(span: Mapping[str, Any]) -> timedelta:
    duration = span.get("duration_ms")
    return timedelta(milliseconds=float(duration) if isinstance(duration, (int, float)) else 0)


def lookup(var_dir: Path, identifier: str) -> list[dict[str, Any]]:
    """The spans for a trace id (32 hex digits) or, failing that, a CloudEvent id."""
    identifier = identifier.strip()
    if _TRACE_ID.match(identifier):
        found = find_trace(var_dir, trace_id=identifier)
        if found:
            return found
    return find_trace(var_dir, event_id=identifier)


def trace(
    identifier: str = typer.Argument(..., help="A CloudEvent id or a trace id (32 hex digits)."),
) -> None:
    """Show the flow of an event or trace as a tree: services, operations, topics, timings."""
    var_dir = PlatformSettings().var_dir
    spans = lookup(var_dir, identifier)
    if not spans:
        typer.echo(
            f"no spans found for {identifier} under {var_dir / 'telemetry'} "
            "(spans are written about a second after they end; is TASKFORCE_VAR_DIR right?)",
            err=True,
        )
        raise typer.Exit(1)
    for line in render(spans):
        typer.echo(line)
