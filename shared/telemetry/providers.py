"""Trace and metric providers for one service process, configured from ``OTEL_*``.

Exporter choice follows the standard variables so that a deployment points the
platform at a collector or Jaeger without code changes:

* ``OTEL_SDK_DISABLED=true``: nothing is installed; spans are non-recording but
  incoming trace context is still passed on.
* ``OTEL_TRACES_EXPORTER`` / ``OTEL_METRICS_EXPORTER``: comma-separated
  ``otlp`` (OTLP/HTTP), ``console``, ``local`` (our JSON Lines files under
  ``var/telemetry``) or ``none``.
* Unset: traces go to ``local``, metrics nowhere (they stay cheap until the
  Prometheus endpoint exists); and when an OTLP endpoint variable is set, OTLP
  export is added, so configuring a collector never silences the local files.
* ``OTEL_SERVICE_NAME`` overrides the service name given in code;
  ``OTEL_RESOURCE_ATTRIBUTES`` may add attributes or override the namespace and
  version. Everything else (``OTEL_EXPORTER_OTLP_*``, ``OTEL_BSP_*``,
  ``OTEL_METRIC_EXPORT_INTERVAL``) is read by the SDK itself.

Every span exporter is wrapped in ``RedactingSpanExporter``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from opentelemetry import metrics as metrics_api
from opentelemetry import trace as trace_api
from opentelemetry.environment_variables import OTEL_METRICS_EXPORTER, OTEL_TRACES_EXPORTER
from opentelemetry.metrics import Meter, NoOpMeterProvider
from opentelemetry.metrics import _internal as metrics_internal
from opentelemetry.sdk.environment_variables import (
    OTEL_BSP_SCHEDULE_DELAY,
    OTEL_EXPORTER_OTLP_ENDPOINT,
    OTEL_EXPORTER_OTLP_METRICS_ENDPOINT,
    OTEL_EXPORTER_OTLP_METRICS_PROTOCOL,
    OTEL_EXPORTER_OTLP_PROTOCOL,
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL,
    OTEL_SDK_DISABLED,
    OTEL_SERVICE_NAME,
)
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    MetricExporter,
    MetricReader,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
)
from opentelemetry.trace import NoOpTracerProvider, Tracer
from opentelemetry.util._once import Once

from shared.telemetry.local import (
    LocalMetricExporter,
    LocalSpanExporter,
    metrics_path,
    spans_path,
)
from shared.telemetry.redaction import RedactingSpanExporter

logger = logging.getLogger(__name__)

NAMESPACE = "taskforce-migratie"
DISTRIBUTION = "taskforce-migration-platform"
EXPORTERS = ("otlp", "console", "local", "none")
#: Local spans are read by people waiting at a prompt: flush every second, not 5 s.
LOCAL_SCHEDULE_DELAY_MS = 1000


@dataclass(eq=False)
class Telemetry:
    """What ``setup_telemetry`` installed: tracer, meter and the means to flush them."""

    service: str
    var_dir: Path
    resource: Resource
    tracer_provider: trace_api.TracerProvider
    meter_provider: metrics_api.MeterProvider
    tracer: Tracer
    meter: Meter
    #: False when ``OTEL_SDK_DISABLED`` is set: the providers are no-ops.
    enabled: bool
    #: Effective exporter names, e.g. ``("local", "otlp")``.
    span_exporters: tuple[str, ...] = ()
    metric_exporters: tuple[str, ...] = ()
    #: The JSON Lines file spans go to, when the ``local`` exporter is active.
    spans_file: Path | None = None
    _requested: tuple[str, Path] = field(default=("", Path()), repr=False)
    _closed: bool = field(default=False, repr=False)

    @property
    def closed(self) -> bool:
        return self._closed

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Export everything finished so far (e.g. before reading the local files)."""
        ok = True
        if isinstance(self.tracer_provider, TracerProvider):
            ok = self.tracer_provider.force_flush(timeout_millis)
        if isinstance(self.meter_provider, MeterProvider):
            ok = self.meter_provider.force_flush(timeout_millis) and ok
        return ok

    def shutdown(self) -> None:
        """Flush and stop the exporters; idempotent. Blocks up to the export timeouts."""
        if self._closed:
            return
        self._closed = True
        if isinstance(self.tracer_provider, TracerProvider):
            self.tracer_provider.shutdown()
        if isinstance(self.meter_provider, MeterProvider):
            self.meter_provider.shutdown()

    async def shutdown_async(self) -> None:
        """``shutdown`` off the event loop: an OTLP flush may wait on the network."""
        await asyncio.to_thread(self.shutdown)


_lock = threading.Lock()
_active: Telemetry | None = None


def active_telemetry() -> Telemetry | None:
    """The handle installed in this process, if any."""
    return _active


def setup_telemetry(
    service: str, var_dir: Path, *, metric_readers: Sequence[MetricReader] = ()
) -> Telemetry:
    """Install the global tracer and meter providers for ``service``; return the handle.

    Idempotent within a process: while a handle is active, later calls return it
    (with a warning when they ask for another service or directory), because the
    OpenTelemetry API lets a global provider be set only once. Tests that need a
    fresh setup call ``reset_for_tests`` first. ``metric_readers`` are added to
    the meter provider (a Prometheus reader, for instance); readers can only be
    given at construction.
    """
    global _active
    requested = (service, var_dir)
    with _lock:
        if _active is not None and not _active.closed:
            if _active._requested != requested:
                logger.warning(
                    "telemetry already set up for %s in %s; ignoring setup for %s in %s",
                    *_active._requested,
                    *requested,
                )
            return _active
        _active = _build(service, var_dir, metric_readers)
        _active._requested = requested
        return _active


def reset_for_tests() -> None:
    """Shut down the active handle and unset the OpenTelemetry globals.

    For tests only: it resets the API's private set-once guards, as
    OpenTelemetry's own test utilities do. Tracers that instrumentation obtained
    through the old global provider keep pointing at it.
    """
    global _active
    with _lock:
        if _active is not None:
            _active.shutdown()
        _active = None
        trace_api._TRACER_PROVIDER_SET_ONCE = Once()
        trace_api._TRACER_PROVIDER = None
        trace_api._PROXY_TRACER_PROVIDER = trace_api.ProxyTracerProvider()
        metrics_internal._METER_PROVIDER_SET_ONCE = Once()
        metrics_internal._METER_PROVIDER = None
        metrics_internal._PROXY_METER_PROVIDER = metrics_internal._ProxyMeterProvider()


# --------------------------------------------------------------------------- building


def _env_true(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() == "true"


def _package_version() -> str | None:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None


def build_resource(service: str) -> Resource:
    """``service.name`` (``OTEL_SERVICE_NAME`` wins), namespace, version, env attributes."""
    defaults: dict[str, str] = {"service.namespace": NAMESPACE}
    if version := _package_version():
        defaults["service.version"] = version
    name = os.environ.get(OTEL_SERVICE_NAME, "").strip() or service
    # Resource.create adds the SDK's attributes and OTEL_RESOURCE_ATTRIBUTES on top of
    # our defaults; the explicit service.name goes on top of those.
    return Resource(defaults).merge(Resource.create({SERVICE_NAME: name}))


def exporter_names(
    variable: str, default: Sequence[str], endpoint_variables: Sequence[str]
) -> list[str]:
    """The exporters ``variable`` asks for, or the default plus OTLP if an endpoint is set."""
    raw = os.environ.get(variable, "").strip()
    if not raw:
        names = list(default)
        if any(os.environ.get(v, "").strip() for v in endpoint_variables) and "otlp" not in names:
            names.append("otlp")
        return names
    names = list(dict.fromkeys(n.strip().lower() for n in raw.split(",") if n.strip()))
    unknown = [n for n in names if n not in EXPORTERS]
    if unknown:
        logger.warning("%s: unsupported exporter(s) %s ignored", variable, ", ".join(unknown))
    if "none" in names:
        if len(names) > 1:
            logger.warning("%s=%s: 'none' wins, nothing is exported", variable, raw)
        return []
    return [n for n in names if n in EXPORTERS]


def _check_otlp_protocol(signal_variable: str) -> None:
    protocol = (
        os.environ.get(signal_variable) or os.environ.get(OTEL_EXPORTER_OTLP_PROTOCOL) or ""
    ).strip()
    if protocol and protocol != "http/protobuf":
        logger.warning("OTLP protocol %r is not installed; exporting with http/protobuf", protocol)


def _span_processor(name: str, service: str, var_dir: Path) -> SpanProcessor:
    exporter: SpanExporter
    delay: int | None = None
    if name == "local":
        exporter = LocalSpanExporter(spans_path(var_dir, service))
        if not os.environ.get(OTEL_BSP_SCHEDULE_DELAY):
            delay = LOCAL_SCHEDULE_DELAY_MS
    elif name == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        _check_otlp_protocol(OTEL_EXPORTER_OTLP_TRACES_PROTOCOL)
        exporter = OTLPSpanExporter()
    else:
        exporter = ConsoleSpanExporter(service_name=service)
    return BatchSpanProcessor(RedactingSpanExporter(exporter), schedule_delay_millis=delay)


def _metric_reader(name: str, service: str, var_dir: Path) -> MetricReader:
    exporter: MetricExporter
    if name == "local":
        exporter = LocalMetricExporter(metrics_path(var_dir, service))
    elif name == "otlp":
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

        _check_otlp_protocol(OTEL_EXPORTER_OTLP_METRICS_PROTOCOL)
        exporter = OTLPMetricExporter()
    else:
        exporter = ConsoleMetricExporter()
    return PeriodicExportingMetricReader(exporter)


def _build(service: str, var_dir: Path, metric_readers: Sequence[MetricReader]) -> Telemetry:
    version = _package_version()
    if _env_true(OTEL_SDK_DISABLED):
        resource = Resource.get_empty()
        noop_tracers = NoOpTracerProvider()
        noop_meters = NoOpMeterProvider()
        return Telemetry(
            service=service,
            var_dir=var_dir,
            resource=resource,
            tracer_provider=noop_tracers,
            meter_provider=noop_meters,
            tracer=noop_tracers.get_tracer(f"taskforce.{service}", version),
            meter=noop_meters.get_meter(f"taskforce.{service}", version),
            enabled=False,
        )

    resource = build_resource(service)
    name = str(resource.attributes.get(SERVICE_NAME, service))

    span_exporters = exporter_names(
        OTEL_TRACES_EXPORTER,
        ["local"],
        [OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT],
    )
    tracer_provider = TracerProvider(resource=resource)
    for exporter in span_exporters:
        tracer_provider.add_span_processor(_span_processor(exporter, name, var_dir))

    metric_exporters = exporter_names(
        OTEL_METRICS_EXPORTER,
        [],
        [OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_METRICS_ENDPOINT],
    )
    readers = [_metric_reader(exporter, name, var_dir) for exporter in metric_exporters]
    meter_provider = MeterProvider(resource=resource, metric_readers=[*readers, *metric_readers])

    trace_api.set_tracer_provider(tracer_provider)
    metrics_api.set_meter_provider(meter_provider)
    if trace_api.get_tracer_provider() is not tracer_provider:
        logger.warning(
            "a global TracerProvider was already installed; instrumentations keep using it"
        )

    return Telemetry(
        service=name,
        var_dir=var_dir,
        resource=resource,
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        tracer=tracer_provider.get_tracer(f"taskforce.{name}", version),
        meter=meter_provider.get_meter(f"taskforce.{name}", version),
        enabled=True,
        span_exporters=tuple(span_exporters),
        metric_exporters=tuple(metric_exporters),
        spans_file=spans_path(var_dir, name) if "local" in span_exporters else None,
    )
