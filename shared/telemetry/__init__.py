"""OpenTelemetry for the platform: one trace per flow across HTTP and Kafka hops.

``setup_telemetry`` installs the providers a service process uses (exporters
chosen by the standard ``OTEL_*`` variables; by default spans go to JSON Lines
files under ``var/telemetry`` so a flow can be followed without a collector).
The messaging helpers carry W3C trace context through the outbox and Kafka
records, and ``find_trace`` reads a flow back from the local files.
"""

from shared.telemetry.local import (
    LocalMetricExporter,
    LocalSpanExporter,
    find_trace,
    iter_spans,
    read_spans,
    span_to_record,
    spans_path,
)
from shared.telemetry.messaging import (
    HeaderInput,
    consumer_span,
    context_from_headers,
    current_trace_headers,
    kafka_headers,
    producer_span,
    trace_headers_for,
)
from shared.telemetry.providers import (
    Telemetry,
    active_telemetry,
    reset_for_tests,
    setup_telemetry,
)
from shared.telemetry.redaction import RedactingSpanExporter

__all__ = [
    "HeaderInput",
    "LocalMetricExporter",
    "LocalSpanExporter",
    "RedactingSpanExporter",
    "Telemetry",
    "active_telemetry",
    "consumer_span",
    "context_from_headers",
    "current_trace_headers",
    "find_trace",
    "iter_spans",
    "kafka_headers",
    "producer_span",
    "read_spans",
    "reset_for_tests",
    "setup_telemetry",
    "span_to_record",
    "spans_path",
    "trace_headers_for",
]
