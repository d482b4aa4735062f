"""``taskforce trace``: a flow recorded by three services reads back as one tree.

The span files are written by the real telemetry code (``LocalSpanExporter``,
one tracer provider per service, W3C context carried the way records and
outbox rows carry it), so the test sees the exact on-disk format.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Tracer
from opentelemetry.util.types import AttributeValue
from typer.testing import CliRunner

from shared.cli import app
from shared.telemetry import LocalSpanExporter, context_from_headers, current_trace_headers
from shared.telemetry.local import spans_path

COUNTRIES_TOPIC = "taskforce.countries.v1"
PROGRAMMES_TOPIC = "taskforce.programmes.v1"
ASSESSED = "nl.migratiesamenwerking.countries.risk-assessed"
REVIEW = "nl.migratiesamenwerking.programmes.review-opened"
EVENT_1 = "0b6a3f4e-9a51-4a53-8a8e-5d6c1f0b9e01"
EVENT_2 = "0b6a3f4e-9a51-4a53-8a8e-5d6c1f0b9e02"


def _kafka(topic: str, event_id: str, event_type: str) -> dict[str, AttributeValue]:
    return {
        "messaging.system": "kafka",
        "messaging.destination.name": topic,
        "messaging.message.id": event_id,
        "cloudevents.event_id": event_id,
        "cloudevents.event_type": event_type,
    }


@pytest.fixture
def recorded_flow(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """countries HTTP -> send -> programmes process -> send -> notifications process -> webhook."""
    providers: dict[str, TracerProvider] = {}
    for service in ("countries", "programmes", "notifications"):
        provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service}))
        provider.add_span_processor(
            SimpleSpanProcessor(LocalSpanExporter(spans_path(tmp_path, service)))
        )
        providers[service] = provider

    def tracer(service: str) -> Tracer:
        return providers[service].get_tracer("test")

    with tracer("countries").start_as_current_span(
        "POST /v1/countries/{countryCode}/risk-assessments",
        kind=SpanKind.SERVER,
        attributes={
            "http.route": "/v1/countries/{countryCode}/risk-assessments",
            "http.response.status_code": 201,
        },
    ) as request:
        trace_id = format(request.get_span_context().trace_id, "032x")
        outbox_row = current_trace_headers()
    with tracer("countries").start_as_current_span(
        f"send {COUNTRIES_TOPIC}",
        context=context_from_headers(outbox_row),
        kind=SpanKind.PRODUCER,
        attributes=_kafka(COUNTRIES_TOPIC, EVENT_1, ASSESSED),
    ):
        record_1 = current_trace_headers()
    with tracer("programmes").start_as_current_span(
        f"process {COUNTRIES_TOPIC}",
        context=context_from_headers(record_1),
        kind=SpanKind.CONSUMER,
        attributes=_kafka(COUNTRIES_TOPIC, EVENT_1, ASSESSED)
        | {"messaging.destination.partition.id": "2", "messaging.kafka.offset": 41},
    ):
        outbox_row_2 = current_trace_headers()
    with tracer("programmes").start_as_current_span(
        f"send {PROGRAMMES_TOPIC}",
        context=context_from_headers(outbox_row_2),
        kind=SpanKind.PRODUCER,
        attributes=_kafka(PROGRAMMES_TOPIC, EVENT_2, REVIEW),
    ):
        record_2 = current_trace_headers()
    with tracer("notifications").start_as_current_span(
        f"process {PROGRAMMES_TOPIC}",
        context=context_from_headers(record_2),
        kind=SpanKind.CONSUMER,
        attributes=_kafka(PROGRAMMES_TOPIC, EVENT_2, REVIEW),
    ):
        delivery_row = current_trace_headers()
    with tracer("notifications").start_as_current_span(
        "POST webhook",
        context=context_from_headers(delivery_row),
        kind=SpanKind.CLIENT,
        attributes={"server.address": "receiver.example", "http.response.status_code": 204},
    ):
        pass
    for provider in providers.values():
        provider.shutdown()
    yield tmp_path, trace_id


def run_trace(var_dir: Path, identifier: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["trace", identifier], env={"TASKFORCE_VAR_DIR": str(var_dir)})
    return result.exit_code, result.output


def _depth(line: str) -> int:
    """How deep a tree line is: its column after the offset and duration columns."""
    body = line[23:]
    return (len(body) - len(body.lstrip(" │├└─"))) // 3


def test_an_event_id_prints_the_whole_flow_as_a_tree(recorded_flow: tuple[Path, str]) -> None:
    var_dir, trace_id = recorded_flow
    code, output = run_trace(var_dir, EVENT_2)
    assert code == 0, output
    lines = output.splitlines()
    assert lines[0].startswith(f"trace {trace_id}: 6 spans, 3 services")
    assert "countries, notifications, programmes" in lines[0]
    spans = lines[2:]
    expected = [
        ("countries: POST /v1/countries/{countryCode}/risk-assessments", 0),
        (f"countries: send {COUNTRIES_TOPIC} [producer] topic={COUNTRIES_TOPIC}", 1),
        (f"programmes: process {COUNTRIES_TOPIC} [consumer] topic={COUNTRIES_TOPIC}[2]@41", 2),
        (f"programmes: send {PROGRAMMES_TOPIC} [producer] topic={PROGRAMMES_TOPIC}", 3),
        (f"notifications: process {PROGRAMMES_TOPIC} [consumer] topic={PROGRAMMES_TOPIC}", 4),
        ("notifications: POST webhook [client]", 5),
    ]
    assert len(spans) == len(expected), output
    for line, (text, depth) in zip(spans, expected, strict=True):
        assert text in line, line
        assert _depth(line) == depth, line
    assert "type=risk-assessed" in spans[1] and f"event={EVENT_1}" in spans[1]
    assert "host=receiver.example" in spans[5] and "http=204" in spans[5]
    first_offset = spans[0].split()[0]
    assert first_offset == "+0.0", spans[0]
    assert all(line.split()[3] == "ms" for line in spans)  # a duration on every line


def test_a_trace_id_finds_the_same_flow(recorded_flow: tuple[Path, str]) -> None:
    var_dir, trace_id = recorded_flow
    by_trace = run_trace(var_dir, trace_id)
    by_event = run_trace(var_dir, EVENT_1)
    assert by_trace[0] == 0
    assert by_trace[1].splitlines()[0] == by_event[1].splitlines()[0]


def test_a_missing_parent_shows_the_span_as_a_root_and_says_so(
    recorded_flow: tuple[Path, str],
) -> None:
    var_dir, _ = recorded_flow
    spans_path(var_dir, "countries").unlink()  # as if countries kept no spans
    code, output = run_trace(var_dir, EVENT_2)
    assert code == 0
    root = output.splitlines()[2]
    assert f"programmes: process {COUNTRIES_TOPIC}" in root and "not recorded" in root


def test_nothing_found_is_a_clear_message_and_a_failure(tmp_path: Path) -> None:
    code, output = run_trace(tmp_path, "4bf92f3577b34da6a3ce929d0e0e4736")
    assert code == 1
    assert "no spans found for 4bf92f3577b34da6a3ce929d0e0e4736" in output
