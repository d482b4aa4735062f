"""``taskforce events tail``: the platform's events as they arrive, one readable line each.

It reads with a consumer of its own that joins no group and commits nothing, so
it never disturbs the services' offsets and any number of operators can watch.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import typer
from aiokafka import AIOKafkaConsumer, ConsumerRecord

from shared.events.catalogue import SERVICES, topic_of
from shared.kafka.principals import operators_principal
from shared.kafka.security import aiokafka_options, credentials_for
from shared.settings import PlatformSettings

app = typer.Typer(no_args_is_help=True, help="Watch the events on the platform's topics.")

#: How many ``data`` fields a line shows, and how long a value may get.
DATA_FIELDS = 4
VALUE_WIDTH = 40


def _header(headers: Sequence[tuple[str, bytes | None]], name: str) -> str | None:
    for key, value in headers:
        if key == name and value is not None:
            return value.decode(errors="replace")
    return None


def short_type(event_type: str | None) -> str:
    """``nl.migratiesamenwerking.monitoring.programme-flagged`` -> ``programme-flagged``."""
    return event_type.rsplit(".", 1)[-1] if event_type else "?"


def _clip(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= VALUE_WIDTH else text[: VALUE_WIDTH - 3] + "..."


def data_summary(value: bytes | None, fields: int = DATA_FIELDS) -> str:
    """The first few scalar fields of the event's JSON data, ``name=value``."""
    if not value:
        return ""
    try:
        data = json.loads(value)
    except ValueError:
        return f"<{len(value)} bytes, not JSON>"
    if not isinstance(data, dict):
        return _clip(data)
    shown = [
        f"{name}={_clip(item)}"
        for name, item in data.items()
        if item is not None and not isinstance(item, (dict, list))
    ]
    return " ".join(shown[:fields])


def format_record(
    topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    value: bytes | None,
    headers: Sequence[tuple[str, bytes | None]],
    timestamp_ms: int | None = None,
) -> str:
    """One line: time, topic[partition]@offset, key, type, subject, a few data fields."""
    when = _header(headers, "ce_time")
    if when is None and timestamp_ms is not None:
        when = datetime.fromtimestamp(timestamp_ms / 1000, UTC).isoformat(timespec="milliseconds")
    parts = [
        when or "-",
        f"{topic}[{partition}]@{offset}",
        f"key={key.decode(errors='replace') if key is not None else '-'}",
        short_type(_header(headers, "ce_type")),
    ]
    subject = _header(headers, "ce_subject")
    if subject is not None:
        parts.append(f"subject={subject}")
    reason = _header(headers, "dead-letter-reason")
    if reason is not None:
        parts.append(f"dead-letter={reason}")
    summary = data_summary(value)
    if summary:
        parts.append(summary)
    return "  ".join(parts)


def matches(headers: Sequence[tuple[str, bytes | None]], types: Sequence[str]) -> bool:
    """No filter, or the event's type equals one given (in full or its last part)."""
    if not types:
        return True
    event_type = _header(headers, "ce_type")
    return event_type is not None and (event_type in types or short_type(event_type) in types)


def format_consumer_record(record: ConsumerRecord[bytes, bytes]) -> str:
    return format_record(
        record.topic,
        record.partition,
        record.offset,
        record.key,
        record.value,
        list(record.headers),
        record.timestamp,
    )


async def tail_events(
    settings: PlatformSettings,
    topics: Sequence[str],
    types: Sequence[str],
    *,
    from_beginning: bool,
    limit: int | None = None,
) -> int:
    """Print matching events until interrupted (or ``limit`` are shown); returns the count."""
    # As the operators' principal: it reads every domain and dead-letter topic, writes nothing.
    credentials = credentials_for(settings, operators_principal(settings).name)
    consumer = AIOKafkaConsumer(
        *topics,
        **aiokafka_options(settings, credentials),
        group_id=None,  # no group: nothing is committed, no service's offsets are touched
        enable_auto_commit=False,
        auto_offset_reset="earliest" if from_beginning else "latest",
        isolation_level="read_committed",  # what services see: no aborted outbox batch
        client_id="taskforce-events-tail",
    )
    await consumer.start()
    shown = 0
    try:
        async for record in consumer:
            if not matches(list(record.headers), types):
                continue
            typer.echo(format_consumer_record(record))
            shown += 1
            if limit is not None and shown >= limit:
                break
    finally:
        await consumer.stop()
    return shown


@app.command("tail")
def tail(
    topic: list[str] = typer.Option(
        None, "--topic", "-t", help="A topic to read (repeatable); default: all domain topics."
    ),
    event_type: list[str] = typer.Option(
        None, "--type", help="Only this event type, full or e.g. programme-flagged (repeatable)."
    ),
    from_beginning: bool = typer.Option(
        False, "--from-beginning", help="Start at the oldest record instead of new ones only."
    ),
    limit: int | None = typer.Option(None, "--max", help="Stop after this many events."),
) -> None:
    """Print events live, one line each (reads KAFKA_BOOTSTRAP_SERVERS; commits nothing)."""
    settings = PlatformSettings()
    topics = list(topic or [topic_of(service) for service in SERVICES])
    try:
        asyncio.run(
            tail_events(
                settings,
                topics,
                list(event_type or []),
                from_beginning=from_beginning,
                limit=limit,
            )
        )
    except KeyboardInterrupt:
        pass
    except Exception as exc:
        typer.echo(f"reading from {settings.kafka_bootstrap_servers} failed: {exc}", err=True)
        raise typer.Exit(1) from exc
