"""W3C trace context through Kafka, and the spans around sending and processing.

The flow this serves: an HTTP request commits a state change, and the outbox row
stores ``current_trace_headers()`` taken inside that request. Later the relay
publishes inside ``producer_span(parent=context_from_headers(stored))`` and puts
``current_trace_headers()`` -- taken *inside* the with-block, so it names the
producer span and not the stored request span -- on the record. The consumer runs
its handler inside ``consumer_span(..., headers=record.headers)``, whose parent is
that producer span. One trace id then covers HTTP request, send and every
process, in every service.

Only ``traceparent`` and ``tracestate`` go on records, whatever ``OTEL_PROPAGATORS``
says for HTTP: domain topics keep events indefinitely and the event contract
names just those two headers, so W3C baggage (arbitrary caller data) is not
written into the durable record.

Span names and attributes follow the OpenTelemetry messaging semantic
conventions (``send <topic>`` / ``process <topic>``) plus the CloudEvents ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Tracer, TracerProvider
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import AttributeValue

TRACE_HEADERS = ("traceparent", "tracestate")
SCOPE = "shared.telemetry.messaging"

# Semantic-convention attribute names (messaging, cloudevents, error).
MESSAGING_SYSTEM = "messaging.system"
MESSAGING_OPERATION_TYPE = "messaging.operation.type"
MESSAGING_OPERATION_NAME = "messaging.operation.name"
MESSAGING_DESTINATION_NAME = "messaging.destination.name"
MESSAGING_DESTINATION_PARTITION_ID = "messaging.destination.partition.id"
MESSAGING_CONSUMER_GROUP_NAME = "messaging.consumer.group.name"
MESSAGING_KAFKA_MESSAGE_KEY = "messaging.kafka.message.key"
MESSAGING_KAFKA_OFFSET = "messaging.kafka.offset"
MESSAGING_MESSAGE_ID = "messaging.message.id"
CLOUDEVENTS_EVENT_ID = "cloudevents.event_id"
CLOUDEVENTS_EVENT_TYPE = "cloudevents.event_type"
CLOUDEVENTS_EVENT_SOURCE = "cloudevents.event_source"
ERROR_TYPE = "error.type"

_PROPAGATOR = TraceContextTextMapPropagator()

#: Record headers as aiokafka gives them, or a plain mapping (an outbox row).
HeaderInput = Mapping[str, str | bytes] | Iterable[tuple[str, str | bytes | None]] | None

_cached: tuple[TracerProvider, Tracer] | None = None


def _tracer() -> Tracer:
    """The messaging tracer of the *current* global provider.

    Looked up per call (cheaply, by identity) rather than at import time, so a
    provider installed after import -- or replaced between tests -- is used.
    """
    global _cached
    provider = trace.get_tracer_provider()
    if _cached is None or _cached[0] is not provider:
        _cached = (provider, provider.get_tracer(SCOPE))
    return _cached[1]


def current_trace_headers(context: Context | None = None) -> dict[str, str]:
    """``{"traceparent": ..., "tracestate": ...}`` for ``context`` (default: current).

    Empty when there is no valid span context, e.g. outside any trace or with the
    SDK disabled and no incoming trace.
    """
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier, context=context)
    return carrier


def trace_headers_for(span: Span) -> dict[str, str]:
    """The trace headers that make ``span`` the parent of whatever reads them."""
    return current_trace_headers(trace.set_span_in_context(span))


def kafka_headers(headers: Mapping[str, str]) -> list[tuple[str, bytes]]:
    """Trace headers in the form aiokafka sends: ``[(name, utf-8 bytes), ...]``."""
    return [(name, value.encode()) for name, value in headers.items()]


def _normalise(headers: HeaderInput) -> dict[str, str]:
    """Trace headers as ``{lower-case name: str}``; first occurrence wins."""
    if headers is None:
        return {}
    pairs: Iterable[tuple[Any, Any]]
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    carrier: dict[str, str] = {}
    for name, value in pairs:
        key = str(name).lower()
        if key not in TRACE_HEADERS or key in carrier or value is None:
            continue
        if isinstance(value, (bytes, bytearray, memoryview)):
            carrier[key] = bytes(value).decode("utf-8", errors="replace")
        else:
            carrier[key] = str(value)
    return carrier


def context_from_headers(headers: HeaderInput) -> Context:
    """The remote parent context carried by ``headers``.

    Accepts a mapping of strings (an outbox row, an HTTP-style dict) or Kafka's
    list of ``(name, bytes)`` pairs. Without a valid ``traceparent`` the result is
    an empty context, so a span started with it as parent becomes a new root
    rather than silently joining whatever trace happens to be current.
    """
    return _PROPAGATOR.extract(_normalise(headers), context=Context())


def _event_attributes(
    event_id: str | None, event_type: str | None, event_source: str | None
) -> dict[str, AttributeValue]:
    attributes: dict[str, AttributeValue] = {}
    if event_id is not None:
        attributes[MESSAGING_MESSAGE_ID] = event_id
        attributes[CLOUDEVENTS_EVENT_ID] = event_id
    if event_type is not None:
        attributes[CLOUDEVENTS_EVENT_TYPE] = event_type
    if event_source is not None:
        attributes[CLOUDEVENTS_EVENT_SOURCE] = event_source
    return attributes


@contextmanager
def _messaging_span(
    name: str, kind: SpanKind, parent: Context | None, attributes: dict[str, AttributeValue]
) -> Iterator[Span]:
    with _tracer().start_as_current_span(
        name, context=parent, kind=kind, attributes=attributes
    ) as span:
        try:
            yield span
        except Exception as exc:
            # The SDK records the exception and the error status; semconv also asks
            # for error.type, which is what dashboards group failures by.
            span.set_attribute(ERROR_TYPE, type(exc).__qualname__)
            raise


@contextmanager
def producer_span(
    topic: str,
    *,
    key: str | None,
    event_id: str,
    event_type: str,
    parent: Context | None = None,
    event_source: str | None = None,
) -> Iterator[Span]:
    """A ``send <topic>`` PRODUCER span, current for the duration of the block.

    ``parent`` is the context stored with the outbox row (``context_from_headers``);
    ``None`` means the current context. Inside the block, ``current_trace_headers()``
    (or ``trace_headers_for(span)``) gives the headers to put on the record. Set
    ``messaging.destination.partition.id`` on the span once the broker has
    assigned one, if you know it.
    """
    attributes: dict[str, AttributeValue] = {
        MESSAGING_SYSTEM: "kafka",
        MESSAGING_OPERATION_TYPE: "send",
        MESSAGING_OPERATION_NAME: "send",
        MESSAGING_DESTINATION_NAME: topic,
    }
    if key is not None:
        attributes[MESSAGING_KAFKA_MESSAGE_KEY] = key
    attributes.update(_event_attributes(event_id, event_type, event_source))
    with _messaging_span(f"send {topic}", SpanKind.PRODUCER, parent, attributes) as span:
        yield span


@contextmanager
def consumer_span(
    topic: str,
    *,
    partition: int,
    offset: int,
    key: str | None,
    group: str,
    event_id: str | None,
    event_type: str | None,
    headers: HeaderInput,
    event_source: str | None = None,
) -> Iterator[Span]:
    """A ``process <topic>`` CONSUMER span whose parent is the record's producer span.

    ``headers`` are the record's headers as received (``[(name, bytes)]`` or a
    mapping). ``event_id`` / ``event_type`` may be ``None`` when the record could
    not be parsed as a CloudEvent, so that a span still shows the poison message
    on its way to the dead-letter topic.
    """
    attributes: dict[str, AttributeValue] = {
        MESSAGING_SYSTEM: "kafka",
        MESSAGING_OPERATION_TYPE: "process",
        MESSAGING_OPERATION_NAME: "process",
        MESSAGING_DESTINATION_NAME: topic,
        MESSAGING_DESTINATION_PARTITION_ID: str(partition),
        MESSAGING_KAFKA_OFFSET: offset,
        MESSAGING_CONSUMER_GROUP_NAME: group,
    }
    if key is not None:
        attributes[MESSAGING_KAFKA_MESSAGE_KEY] = key
    attributes.update(_event_attributes(event_id, event_type, event_source))
    parent = context_from_headers(headers)
    with _messaging_span(f"process {topic}", SpanKind.CONSUMER, parent, attributes) as span:
        yield span
