"""Telemetry: local span files, exporter selection and trace context through Kafka."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind

from shared.telemetry import (
    LocalSpanExporter,
    Telemetry,
    consumer_span,
    context_from_headers,
    current_trace_headers,
    find_trace,
    kafka_headers,
    producer_span,
    read_spans,
    reset_for_tests,
    setup_telemetry,
    spans_path,
    trace_headers_for,
)
from shared.telemetry._files import RotatingAppender

TOPIC = "nl.migratiesamenwerking.countries"
EVENT_TYPE = "nl.migratiesamenwerking.countries.human-rights-risk-assessed"


@pytest.fixture(autouse=True)
def clean_telemetry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No OTEL_* from the caller's shell, and fresh global providers per test."""
    for name in list(os.environ):
        if name.startswith("OTEL_"):
            monkeypatch.delenv(name)
    reset_for_tests()
    yield
    reset_for_tests()


def by_name(spans: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {span["name"]: span for span in spans}


def publish_and_consume(
    telemetry: Telemetry, event_id: str
) -> tuple[dict[str, str], list[tuple[str, bytes]]]:
    """The outbox flow in one process: request -> stored headers -> send -> process."""
    with telemetry.tracer.start_as_current_span("POST /v1/landen", kind=SpanKind.SERVER):
        stored = current_trace_headers()
    with producer_span(
        TOPIC,
        key="NLD",
        event_id=event_id,
        event_type=EVENT_TYPE,
        parent=context_from_headers(stored),
    ) as span:
        record_headers = kafka_headers(current_trace_headers())
        assert current_trace_headers() == trace_headers_for(span)
    return stored, record_headers


# --------------------------------------------------------------------------- local spans


def test_default_setup_writes_local_jsonl_with_parent_ids(tmp_path: Path) -> None:
    telemetry = setup_telemetry("countries", tmp_path)
    assert telemetry.enabled
    assert telemetry.span_exporters == ("local",)
    assert telemetry.metric_exporters == ()
    assert telemetry.resource.attributes["service.name"] == "countries"
    assert telemetry.resource.attributes["service.namespace"] == "taskforce-migratie"
    assert telemetry.resource.attributes["service.version"] == metadata.version(
        "taskforce-migration-platform"
    )
    assert trace.get_tracer_provider() is telemetry.tracer_provider

    with telemetry.tracer.start_as_current_span("parent", attributes={"programme.id": "P-1"}):
        with telemetry.tracer.start_as_current_span("child") as child:
            child.add_event("looked up", {"rows": 3})
        with pytest.raises(RuntimeError), telemetry.tracer.start_as_current_span("failing"):
            raise RuntimeError("boom")
    assert telemetry.force_flush()

    path = tmp_path / "telemetry" / "spans-countries.jsonl"
    assert telemetry.spans_file == path
    lines = path.read_text().splitlines()
    assert len(lines) == 3
    spans = by_name([json.loads(line) for line in lines])
    parent, child_rec, failing = spans["parent"], spans["child"], spans["failing"]

    assert parent["parent_span_id"] is None
    assert child_rec["parent_span_id"] == parent["span_id"]
    assert failing["parent_span_id"] == parent["span_id"]
    assert {s["trace_id"] for s in spans.values()} == {parent["trace_id"]}
    assert len(parent["trace_id"]) == 32 and len(parent["span_id"]) == 16

    assert parent["service"] == "countries"
    assert parent["kind"] == "INTERNAL"
    assert parent["attributes"] == {"programme.id": "P-1"}
    assert parent["status"] == {"code": "UNSET"}
    assert child_rec["events"][0]["name"] == "looked up"
    assert child_rec["events"][0]["attributes"] == {"rows": 3}
    assert failing["status"]["code"] == "ERROR"
    assert failing["events"][0]["name"] == "exception"

    start = datetime.fromisoformat(parent["start"])
    end = datetime.fromisoformat(parent["end"])
    assert parent["start"].endswith("Z") and start.utcoffset() is not None
    assert start <= end
    assert parent["duration_ms"] == pytest.approx((end - start).total_seconds() * 1000, abs=0.01)

    # read_spans returns them oldest first: the parent started before its children.
    assert read_spans(tmp_path)[0]["name"] == "parent"


def test_setup_is_idempotent_per_process(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    first = setup_telemetry("countries", tmp_path)
    assert setup_telemetry("countries", tmp_path) is first
    with caplog.at_level(logging.WARNING, logger="shared.telemetry.providers"):
        assert setup_telemetry("programmes", tmp_path / "other") is first
    assert "already set up" in caplog.text


async def test_shutdown_async_flushes_and_is_idempotent(tmp_path: Path) -> None:
    telemetry = setup_telemetry("monitoring", tmp_path)
    with telemetry.tracer.start_as_current_span("last words"):
        pass
    await telemetry.shutdown_async()
    await telemetry.shutdown_async()
    telemetry.shutdown()
    assert telemetry.closed
    assert [s["name"] for s in read_spans(tmp_path)] == ["last words"]


def test_service_name_and_resource_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_SERVICE_NAME", "countries-eu/west")
    monkeypatch.setenv(
        "OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=test,service.namespace=acc"
    )
    telemetry = setup_telemetry("countries", tmp_path)
    attributes = telemetry.resource.attributes
    assert attributes["service.name"] == "countries-eu/west"
    assert attributes["deployment.environment.name"] == "test"
    assert attributes["service.namespace"] == "acc"
    with telemetry.tracer.start_as_current_span("x"):
        pass
    telemetry.force_flush()
    # The file name is made safe; the record keeps the real name.
    assert telemetry.spans_file == tmp_path / "telemetry" / "spans-countries-eu_west.jsonl"
    assert read_spans(tmp_path)[0]["service"] == "countries-eu/west"


def test_credential_attributes_never_reach_the_file(tmp_path: Path) -> None:
    telemetry = setup_telemetry("notifications", tmp_path)
    with telemetry.tracer.start_as_current_span(
        "GET /v1/abonnementen",
        attributes={
            "http.request.header.authorization": ("Bearer eyJhbGciOi.secret",),
            "webhook.secret": "whsec_c2VjcmV0",
            "http.route": "/v1/abonnementen",
        },
    ) as span:
        span.add_event("retry", {"http.request.header.cookie": "session=abc"})
    telemetry.force_flush()

    raw = spans_path(tmp_path, "notifications").read_text()
    assert "eyJhbGciOi" not in raw and "whsec_" not in raw and "session=abc" not in raw
    record = read_spans(tmp_path)[0]
    assert record["attributes"]["http.request.header.authorization"] == "[REDACTED]"
    assert record["attributes"]["webhook.secret"] == "[REDACTED]"
    assert record["attributes"]["http.route"] == "/v1/abonnementen"
    assert record["events"][0]["attributes"] == {"http.request.header.cookie": "[REDACTED]"}


# --------------------------------------------------------------------------- Kafka hops


def test_producer_headers_make_consumer_a_child_in_the_same_trace(tmp_path: Path) -> None:
    telemetry = setup_telemetry("countries", tmp_path)
    event_id = str(uuid.uuid4())
    stored, record_headers = publish_and_consume(telemetry, event_id)
    assert set(stored) == {"traceparent"}
    assert [name for name, _ in record_headers] == ["traceparent"]
    # The record names the producer span, not the stored request span.
    assert record_headers[0][1].decode() != stored["traceparent"]

    with consumer_span(
        TOPIC,
        partition=2,
        offset=41,
        key="NLD",
        group="programmes",
        event_id=event_id,
        event_type=EVENT_TYPE,
        headers=record_headers,
    ) as span:
        assert span.get_span_context().trace_id == int(stored["traceparent"].split("-")[1], 16)
    # Nothing leaks into the caller's context.
    assert not trace.get_current_span().get_span_context().is_valid
    telemetry.force_flush()

    spans = by_name(read_spans(tmp_path))
    request = spans["POST /v1/landen"]
    send = spans[f"send {TOPIC}"]
    process = spans[f"process {TOPIC}"]
    assert request["trace_id"] == send["trace_id"] == process["trace_id"]
    assert send["parent_span_id"] == request["span_id"]
    assert process["parent_span_id"] == send["span_id"]
    assert process["parent_is_remote"] is True
    assert record_headers[0][1].decode().startswith(f"00-{send['trace_id']}-{send['span_id']}-")

    assert send["kind"] == "PRODUCER"
    assert send["attributes"] == {
        "messaging.system": "kafka",
        "messaging.operation.type": "send",
        "messaging.operation.name": "send",
        "messaging.destination.name": TOPIC,
        "messaging.kafka.message.key": "NLD",
        "messaging.message.id": event_id,
        "cloudevents.event_id": event_id,
        "cloudevents.event_type": EVENT_TYPE,
    }
    assert process["kind"] == "CONSUMER"
    assert process["attributes"] == {
        "messaging.system": "kafka",
        "messaging.operation.type": "process",
        "messaging.operation.name": "process",
        "messaging.destination.name": TOPIC,
        "messaging.destination.partition.id": "2",
        "messaging.kafka.offset": 41,
        "messaging.consumer.group.name": "programmes",
        "messaging.kafka.message.key": "NLD",
        "messaging.message.id": event_id,
        "cloudevents.event_id": event_id,
        "cloudevents.event_type": EVENT_TYPE,
    }


def test_consumer_span_records_handler_failure(tmp_path: Path) -> None:
    telemetry = setup_telemetry("programmes", tmp_path)
    with (
        pytest.raises(KeyError),
        consumer_span(
            TOPIC,
            partition=0,
            offset=0,
            key=None,
            group="programmes",
            event_id=None,
            event_type=None,
            headers=[],
        ),
    ):
        raise KeyError("programme")
    telemetry.force_flush()
    (span,) = read_spans(tmp_path)
    assert span["parent_span_id"] is None  # no traceparent on the record: a new trace
    assert span["status"]["code"] == "ERROR"
    assert span["attributes"]["error.type"] == "KeyError"
    assert "messaging.message.id" not in span["attributes"]


def test_context_from_headers_accepts_kafka_and_mapping_forms(tmp_path: Path) -> None:
    setup_telemetry("countries", tmp_path)
    trace_id, span_id = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
    traceparent = f"00-{trace_id}-{span_id}-01"

    forms: list[Any] = [
        {"traceparent": traceparent, "tracestate": "nl=1"},
        [("ce_id", b"x"), ("Traceparent", traceparent.encode()), ("tracestate", b"nl=1")],
        [("traceparent", traceparent), ("baggage", "user=secret")],
    ]
    for headers in forms:
        context = trace.get_current_span(context_from_headers(headers)).get_span_context()
        assert context.is_remote
        assert (f"{context.trace_id:032x}", f"{context.span_id:016x}") == (trace_id, span_id)

    with producer_span(
        TOPIC,
        key=None,
        event_id="e",
        event_type=EVENT_TYPE,
        parent=context_from_headers({"traceparent": traceparent, "tracestate": "nl=1"}),
    ):
        headers = current_trace_headers()
    assert headers["tracestate"] == "nl=1"
    assert headers["traceparent"].startswith(f"00-{trace_id}-")
    assert "baggage" not in headers

    for broken in (None, {}, [("traceparent", b"\xff\xfe")], {"traceparent": "00-zz-yy-01"}):
        assert not trace.get_current_span(context_from_headers(broken)).get_span_context().is_valid


def test_current_trace_headers_is_empty_outside_a_trace(tmp_path: Path) -> None:
    setup_telemetry("countries", tmp_path)
    assert current_trace_headers() == {}


# --------------------------------------------------------------------------- find_trace


def test_find_trace_joins_service_files_by_trace_and_by_event(tmp_path: Path) -> None:
    event_id = str(uuid.uuid4())
    countries = setup_telemetry("countries", tmp_path)
    _, record_headers = publish_and_consume(countries, event_id)
    with countries.tracer.start_as_current_span("GET /v1/landen"):
        pass  # an unrelated flow
    reset_for_tests()  # flushes the countries process; programmes is another process

    programmes = setup_telemetry("programmes", tmp_path)
    with (
        consumer_span(
            TOPIC,
            partition=0,
            offset=7,
            key="NLD",
            group="programmes",
            event_id=event_id,
            event_type=EVENT_TYPE,
            headers=record_headers,
        ),
        programmes.tracer.start_as_current_span("open review"),
    ):
        pass
    with programmes.tracer.start_as_current_span("GET /v1/programmas"):
        pass
    programmes.force_flush()

    files = sorted(p.name for p in (tmp_path / "telemetry").glob("spans-*.jsonl"))
    assert files == ["spans-countries.jsonl", "spans-programmes.jsonl"]
    assert len(read_spans(tmp_path)) == 6

    by_event = find_trace(tmp_path, event_id=event_id)
    assert [(s["service"], s["name"]) for s in by_event] == [
        ("countries", "POST /v1/landen"),
        ("countries", f"send {TOPIC}"),
        ("programmes", f"process {TOPIC}"),
        ("programmes", "open review"),
    ]
    trace_id = by_event[0]["trace_id"]
    assert find_trace(tmp_path, trace_id=trace_id) == by_event
    assert find_trace(tmp_path, trace_id=trace_id.upper()) == by_event
    assert find_trace(tmp_path, event_id=str(uuid.uuid4())) == []
    assert find_trace(tmp_path / "nowhere", trace_id=trace_id) == []
    with pytest.raises(ValueError):
        find_trace(tmp_path)
    with pytest.raises(ValueError):
        find_trace(tmp_path, trace_id=trace_id, event_id=event_id)


def test_reader_skips_damaged_lines(tmp_path: Path) -> None:
    path = spans_path(tmp_path, "monitoring")
    path.parent.mkdir(parents=True)
    good = {
        "trace_id": "a" * 32,
        "span_id": "b" * 16,
        "name": "ok",
        "start": "2026-01-01T00:00:00Z",
    }
    path.write_text(json.dumps(good) + "\nnot json\n[1]\n" + '{"trace_id": "a', encoding="utf-8")
    assert read_spans(tmp_path) == [good]


# --------------------------------------------------------------------------- exporter choice


def test_traces_exporter_none_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    telemetry = setup_telemetry("countries", tmp_path)
    assert telemetry.span_exporters == ()
    assert telemetry.spans_file is None
    with telemetry.tracer.start_as_current_span("unseen") as span:
        # Spans still get ids, so trace context keeps flowing to other services.
        assert current_trace_headers()["traceparent"].split("-")[2] == (
            f"{span.get_span_context().span_id:016x}"
        )
    telemetry.shutdown()
    assert not (tmp_path / "telemetry").exists()


def test_sdk_disabled_installs_nothing_but_passes_context_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    telemetry = setup_telemetry("countries", tmp_path)
    assert not telemetry.enabled
    assert not isinstance(trace.get_tracer_provider(), TracerProvider)
    with telemetry.tracer.start_as_current_span("unseen") as span:
        assert not span.is_recording()

    incoming = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    with consumer_span(
        TOPIC,
        partition=0,
        offset=1,
        key=None,
        group="programmes",
        event_id="e",
        event_type=EVENT_TYPE,
        headers=[("traceparent", incoming.encode())],
    ) as span:
        assert not span.is_recording()
        assert current_trace_headers() == {"traceparent": incoming}
    telemetry.shutdown()
    assert not (tmp_path / "telemetry").exists()


def test_unknown_exporter_is_ignored_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "Local, zipkin")
    with caplog.at_level(logging.WARNING, logger="shared.telemetry.providers"):
        telemetry = setup_telemetry("countries", tmp_path)
    assert telemetry.span_exporters == ("local",)
    assert "zipkin" in caplog.text


def test_local_metrics_exporter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_METRICS_EXPORTER", "local")
    telemetry = setup_telemetry("monitoring", tmp_path)
    assert telemetry.metric_exporters == ("local",)
    counter = telemetry.meter.create_counter("taskforce.flags.raised")
    counter.add(2, {"category": "risk"})
    telemetry.force_flush()
    line = (tmp_path / "telemetry" / "metrics-monitoring.jsonl").read_text().splitlines()[-1]
    scope_metrics = json.loads(line)["resource_metrics"][0]["scope_metrics"]
    metrics = {m["name"]: m for sm in scope_metrics for m in sm["metrics"]}
    assert metrics["taskforce.flags.raised"]["data"]["data_points"][0]["value"] == 2


class _Collector:
    """A tiny OTLP/HTTP receiver: records every POST it gets."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, bytes]] = []
        received = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((self.path, self.headers["Content-Type"], body))
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def spans(self) -> list[tuple[str, str]]:
        """(service.name, span name) of every span received on /v1/traces."""
        found: list[tuple[str, str]] = []
        for path, _, body in self.requests:
            if path != "/v1/traces":
                continue
            request = ExportTraceServiceRequest()
            request.ParseFromString(body)
            for resource_spans in request.resource_spans:
                service = next(
                    a.value.string_value
                    for a in resource_spans.resource.attributes
                    if a.key == "service.name"
                )
                for scope_spans in resource_spans.scope_spans:
                    found.extend((service, span.name) for span in scope_spans.spans)
        return found


@pytest.fixture
def collector() -> Iterator[_Collector]:
    receiver = _Collector()
    receiver.thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def test_otlp_endpoint_adds_otlp_export_to_local(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, collector: _Collector
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url)
    telemetry = setup_telemetry("programmes", tmp_path)
    assert telemetry.span_exporters == ("local", "otlp")
    with telemetry.tracer.start_as_current_span(
        "record decision", attributes={"http.request.header.authorization": "Bearer t0ken"}
    ):
        pass
    telemetry.force_flush()

    assert collector.spans() == [("programmes", "record decision")]
    _, content_type, body = collector.requests[0]
    assert content_type == "application/x-protobuf"
    assert b"t0ken" not in body  # redaction covers OTLP too
    assert [s["name"] for s in read_spans(tmp_path)] == ["record decision"]


def test_otlp_only_with_signal_endpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, collector: _Collector
) -> None:
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", f"{collector.url}/v1/traces")
    telemetry = setup_telemetry("countries", tmp_path)
    assert telemetry.span_exporters == ("otlp",)
    with telemetry.tracer.start_as_current_span("assess risk"):
        pass
    telemetry.shutdown()
    assert collector.spans() == [("countries", "assess risk")]
    assert not (tmp_path / "telemetry").exists()


# --------------------------------------------------------------------------- rotation


def test_local_file_rotates_and_keeps_one_generation(tmp_path: Path) -> None:
    path = spans_path(tmp_path, "countries")
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(LocalSpanExporter(path, max_bytes=3000)))
    tracer = provider.get_tracer("test")
    for number in range(60):
        with tracer.start_as_current_span(f"span-{number:02d}"):
            pass
    provider.shutdown()

    older = path.with_name(path.name + ".1")
    assert older.is_file()
    assert path.stat().st_size <= 3000 and older.stat().st_size <= 3000
    names = [s["name"] for s in read_spans(tmp_path)]
    assert 0 < len(names) < 60
    assert names == sorted(names)  # the newest survive, in order
    assert names[-1] == "span-59"


_WRITER = """
import json, sys
from pathlib import Path
from shared.telemetry._files import RotatingAppender
appender = RotatingAppender(Path(sys.argv[1]), max_bytes=int(sys.argv[2]))
for n in range(200):
    line = {"writer": sys.argv[3], "n": n, "pad": "x" * 300}
    appender.append(json.dumps(line).encode() + b"\\n")
"""


@pytest.mark.parametrize("max_bytes", [10_000_000, 40_000])
def test_several_processes_share_a_file_without_tearing_lines(
    tmp_path: Path, max_bytes: int
) -> None:
    path = tmp_path / "spans-shared.jsonl"
    writers = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(path), str(max_bytes), str(w)])
        for w in range(4)
    ]
    assert [w.wait(timeout=60) for w in writers] == [0, 0, 0, 0]

    files = [p for p in (path.with_name(path.name + ".1"), path) if p.exists()]
    lines = [line for p in files for line in p.read_text().splitlines()]
    records = [json.loads(line) for line in lines]  # every line is whole
    if max_bytes > 1_000_000:
        assert len(files) == 1
        assert sorted((r["writer"], r["n"]) for r in records) == sorted(
            (str(w), n) for w in range(4) for n in range(200)
        )
    else:
        assert len(files) == 2
        assert all(p.stat().st_size <= max_bytes for p in files)
    for writer in map(str, range(4)):  # each writer's lines stay in its own order
        mine = [r["n"] for r in records if r["writer"] == writer]
        assert mine == sorted(mine)


def test_appender_rejects_nonsense_limit(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        RotatingAppender(tmp_path / "x.jsonl", max_bytes=0)
