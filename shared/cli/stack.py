"""``taskforce up``, ``taskforce down`` and ``taskforce demo``: the whole stack on one machine.

``up`` is what ``make up`` runs: Kafka, topics, the four services as child
processes, demo data, then it waits. Ctrl-C or SIGTERM stops the services and
then the broker, but only a broker that ``up`` started itself: a broker that
already answered (someone's tests, another shell) is reused and left running.

``--database postgresql`` runs the services on the local PostgreSQL of
``shared.cli.postgres`` (started, or reused, and stopped on the same terms as
the broker). ``--replicas N`` runs N processes of every service behind a
round-robin proxy on the service's usual port (``shared.http.round_robin``);
it needs PostgreSQL, because SQLite makes the replicas of a service queue for
one file's write lock. A replica that dies is reported and not restarted; the
stack stops when a service has no replica left.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import signal
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from types import FrameType, ModuleType

import httpx
import typer

from shared.cli.kafka import ensure_started, kafka_answers
from shared.cli.postgres import (
    Database,
    describe,
    explicit_database_url,
    local_postgres,
    postgres_for_stack,
    refuse_sqlite_replicas,
    start_for_stack,
    stop_server,
)
from shared.demo import DemoLoadError
from shared.events.catalogue import stream_topic_of
from shared.http.round_robin import ProxyServer, RoundRobinProxy
from shared.kafka_local import KafkaSetupError, LocalKafka
from shared.postgres_local import LocalPostgres, PostgresSetupError
from shared.private import keep_private
from shared.settings import SERVICE_PORTS, PlatformSettings
from shared.supervisor import (
    REPLICA_PORT_STEP,
    ServiceError,
    Supervisor,
    log_tail,
    port_in_use,
    stop_strays,
)

demo_app = typer.Typer(no_args_is_help=True, help="Demo data for a running stack.")

TokenFor = Callable[[str, list[str]], str]


def register(app: typer.Typer) -> None:
    """Add the stack commands (up, down, demo) to the top-level app."""
    app.command("up")(up)
    app.command("down")(down)
    app.add_typer(demo_app, name="demo")


# -- up ------------------------------------------------------------------------
def up(
    no_kafka: bool = typer.Option(
        False, "--no-kafka", help="Do not start or check Kafka; use KAFKA_BOOTSTRAP_SERVERS as is."
    ),
    no_demo: bool = typer.Option(False, "--no-demo", help="Skip loading demo data."),
    ready_timeout: float = typer.Option(
        90.0, help="Seconds to wait for each service's /ready before giving up."
    ),
    database: Database = typer.Option(
        Database.sqlite,
        "--database",
        envvar="TASKFORCE_DATABASE",
        case_sensitive=False,
        help="sqlite: a file per service; postgresql: the local server (taskforce postgres).",
    ),
    replicas: int = typer.Option(
        1,
        "--replicas",
        min=1,
        envvar="TASKFORCE_REPLICAS",
        help="Processes per service, behind a round-robin proxy on its port (needs PostgreSQL).",
    ),
) -> None:
    """Run Kafka and the four services until Ctrl-C; then stop everything this command started."""
    signal.signal(signal.SIGTERM, _interrupt)
    settings = PlatformSettings()
    supervisor = Supervisor(
        ports={name: settings.port_for(name) for name in SERVICE_PORTS},
        log_dir=settings.var_dir / "logs",
        run_dir=settings.var_dir / "run",
        replicas=replicas,
        port_step=int(os.environ.get("TASKFORCE_REPLICA_PORT_STEP", REPLICA_PORT_STEP)),
    )
    kafka_to_stop: LocalKafka | None = None
    postgres_to_stop: LocalPostgres | None = None
    proxies: list[ProxyServer] = []
    receiver: ThreadingHTTPServer | None = None
    # The local webhook receiver is on loopback: let the notifications service call it
    # (that host:port only, not the rest of loopback).
    from shared.cli.receiver import receiver_port

    os.environ.setdefault(
        "TASKFORCE_NOTIFICATIONS_ALLOWED_HOSTS", f'["127.0.0.1:{receiver_port()}"]'
    )
    code = 0
    try:
        refuse_sqlite_replicas(database, replicas)
        database_summary = describe(explicit_database_url(), settings)
        if database is Database.postgresql:
            server = postgres_for_stack(settings)
            # Set first, so that a Ctrl-C during the start still stops it.
            postgres_to_stop = None if server.answering() else server
            started, database_summary = start_for_stack(server, settings)
            if not started:
                postgres_to_stop = None  # running before this command: not ours to stop
        bootstrap, must_start = _settle_kafka(no_kafka)
        if must_start:
            kafka_to_stop = LocalKafka.from_env()  # set first: a Ctrl-C during start still stops it
            typer.echo(f"Kafka: starting the local broker on {bootstrap} ...")
            message = ensure_started(kafka_to_stop)
            typer.echo(message)
            if not message.startswith("Kafka started"):
                kafka_to_stop = None  # someone else's broker came up meanwhile: not ours to stop
        settings = PlatformSettings()  # picks up the bootstrap address just settled
        keep_private(settings.var_dir)
        if not no_kafka:
            _provision(settings)
        _check_ports(supervisor)
        if not no_demo:
            receiver = _start_receiver(settings)
        typer.echo(f"Starting {', '.join(supervisor.names)}; logs in {supervisor.log_dir}")
        proxies = _start_proxies(supervisor)
        supervisor.start_all_ready(ready_timeout)
        if not no_demo:
            report = asyncio.run(load_demo(settings, _base_urls(supervisor)))
            typer.echo(f"Demo data: {report.summary()}")
            _warn_demo(report)
        _print_urls(
            supervisor,
            settings,
            bootstrap,
            started_kafka=kafka_to_stop is not None,
            database=database_summary,
        )
        code = _watch(supervisor)
    except KeyboardInterrupt:
        typer.echo("\nStopping ...")
    except (KafkaSetupError, PostgresSetupError, ServiceError) as exc:
        typer.secho(str(exc), err=True, fg=typer.colors.RED)
        code = 1
    finally:
        # Shutdown must finish even if the user presses Ctrl-C again.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for proxy in proxies:
            proxy.stop()
        supervisor.stop_all(timeout=30)  # uvicorn drains for up to 30 s
        if receiver is not None:
            receiver.shutdown()
            receiver.server_close()
        if kafka_to_stop is not None:
            typer.echo(kafka_to_stop.stop())
        if postgres_to_stop is not None:
            typer.echo(stop_server(postgres_to_stop))
        typer.echo("Stopped.")
    raise typer.Exit(code)


def _start_proxies(supervisor: Supervisor) -> list[ProxyServer]:
    """With replicas, one round-robin proxy per service on the service's usual port."""
    if supervisor.replicas == 1:
        return []
    proxies: list[ProxyServer] = []
    for service, port in supervisor.ports.items():
        proxy = ProxyServer(RoundRobinProxy(supervisor.upstreams(service)), port, supervisor.host)
        proxies.append(proxy)
        proxy.start()
    return proxies


def _start_receiver(settings: PlatformSettings) -> ThreadingHTTPServer:
    """The local webhook receiver, printing each verified delivery to this terminal."""
    from shared.cli.receiver import receiver_port, secrets_path, start_in_background

    port = receiver_port()
    if port_in_use(port):
        raise ServiceError(
            f"Port {port} for the webhook receiver is in use; set TASKFORCE_WEBHOOK_RECEIVER_PORT."
        )
    server = start_in_background(port, secrets_path(settings), out=typer.echo)
    typer.echo(f"Webhook receiver: http://127.0.0.1:{port}/<organisation> (signatures verified)")
    return server


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """Treat SIGTERM like Ctrl-C so both take the same orderly way out."""
    raise KeyboardInterrupt


def _settle_kafka(no_kafka: bool) -> tuple[str, bool]:
    """Settle the bootstrap address every child will use, and whether to start the local broker.

    A broker that already answers is reused, whoever runs it. An explicit
    KAFKA_BOOTSTRAP_SERVERS that points elsewhere and does not answer is an
    error: starting a local broker would not help services that look elsewhere.
    """
    local = LocalKafka.from_env()
    explicit = os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or os.environ.get(
        "TASKFORCE_KAFKA_BOOTSTRAP_SERVERS"
    )
    bootstrap = explicit or local.bootstrap
    os.environ["KAFKA_BOOTSTRAP_SERVERS"] = bootstrap  # inherited by the service processes
    if no_kafka:
        typer.echo(f"Kafka: not managed (--no-kafka); services use {bootstrap}")
        return bootstrap, False
    if kafka_answers(bootstrap):
        typer.echo(f"Kafka: reusing the broker answering on {bootstrap} (left running on exit)")
        return bootstrap, False
    if explicit and explicit != local.bootstrap:
        raise KafkaSetupError(
            f"KAFKA_BOOTSTRAP_SERVERS={explicit} does not answer. Start that broker, "
            "or unset the variable to run the local one."
        )
    return bootstrap, True


def _provision(settings: PlatformSettings) -> None:
    from shared.cli.kafka import run_provisioning

    report = run_provisioning(settings)
    typer.echo(f"Kafka provisioned ({report.summary()})")


def _check_ports(supervisor: Supervisor) -> None:
    for name, port in supervisor.listening_ports().items():
        if port_in_use(port, supervisor.host):
            raise ServiceError(
                f"Port {port} for {name} is already in use: a stack from an earlier "
                f"'taskforce up' may still run (stop it with 'make down'), or set "
                f"TASKFORCE_{name.upper()}_PORT."
            )


def _watch(supervisor: Supervisor) -> int:
    """Wait for Ctrl-C; a service none of whose replicas runs ends the stack with exit code 1.

    With one replica that is any service that dies. With more, each death is reported
    once, nothing is restarted, and the service's other replicas go on serving.
    """
    reported: set[str] = set()
    while True:
        exited = {name: code for name, code in supervisor.exited().items() if name not in reported}
        for name, code in exited.items():
            typer.secho(
                f"{name} exited with code {code}; last lines of "
                f"{supervisor.log_path(name)}:\n{log_tail(supervisor.log_path(name))}",
                err=True,
                fg=typer.colors.RED,
            )
        reported |= exited.keys()
        if down := supervisor.services_down():
            if supervisor.replicas > 1:
                typer.secho(f"No replica left of {', '.join(down)}.", err=True, fg=typer.colors.RED)
            return 1
        if exited:
            left = [n for n in supervisor.processes if supervisor.running(n)]
            typer.secho(f"Still serving: {', '.join(left)}", err=True, fg=typer.colors.YELLOW)
        time.sleep(0.5)


def _print_urls(
    supervisor: Supervisor,
    settings: PlatformSettings,
    bootstrap: str,
    *,
    started_kafka: bool,
    database: str,
) -> None:
    lines = ["", "The stack is up. Ctrl-C stops it.", ""]
    for name in supervisor.ports:
        base = supervisor.base_url(name)
        lines += [
            f"  {name}",
            f"    API       {base}/v1",
            f"    OpenAPI   {base}/v1/openapi.json",
            f"    AsyncAPI  {base}/v1/asyncapi.json",
            f"    health    {base}/health  (ready: {base}/ready)",
        ]
        if supervisor.replicas == 1:
            lines.append(f"    log       {supervisor.log_path(name)}")
        for replica in supervisor.names_of(name) if supervisor.replicas > 1 else ():
            lines.append(
                f"    {replica}  {supervisor.base_url(replica)}  log {supervisor.log_path(replica)}"
            )
    owner = "started by this command" if started_kafka else "already running, left as it is"
    if supervisor.replicas > 1:
        lines += ["", f"  Replicas         {supervisor.replicas} per service, round robin"]
    lines += [
        "",
        f"  Database         {database}",
        f"  Kafka bootstrap  {bootstrap} ({owner}; {settings.kafka_security_protocol}, "
        "SCRAM-SHA-512, ACLs on)",
        f"  Kafka passwords  {settings.kafka_secrets}/<principal>.password (owner-only)",
        f"  An organisation  taskforce kafka credentials <code>, e.g. bz: user "
        f"{settings.kafka_prefix}.org.bz, stream {stream_topic_of('bz')}",
    ]
    local = LocalKafka.from_env()
    if started_kafka or local.pid() is not None:
        lines.append(f"  Kafka logs       {local.logs}")
    lines += [f"  Spans            {_spans_hint(settings)}", ""]
    typer.echo("\n".join(lines))


def _spans_hint(settings: PlatformSettings) -> str:
    """Where spans go, following the same OTEL_* rules as shared.telemetry.providers."""
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return "not recorded (OTEL_SDK_DISABLED=true)"
    chosen = os.environ.get("OTEL_TRACES_EXPORTER", "").strip()
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or os.environ.get(
        "OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    exporters = chosen.split(",") if chosen else ["local", *(["otlp"] if endpoint else [])]
    places = []
    if "local" in exporters:
        places.append(f"{settings.var_dir / 'telemetry'}/spans-<service>.jsonl")
    if "otlp" in exporters:
        places.append(f"OTLP to {endpoint or 'the SDK default endpoint'}")
    if "console" in exporters:
        places.append("each service's log")
    return ", and ".join(places) or f"not exported (OTEL_TRACES_EXPORTER={chosen})"


def _base_urls(supervisor: Supervisor) -> dict[str, str]:
    return {name: supervisor.base_url(name) for name in supervisor.ports}


def _per_service(counts: Mapping[str, int]) -> str:
    if not counts:
        return "(no service has a demo loader yet)"
    return "(" + ", ".join(f"{name} {count}" for name, count in counts.items()) + ")"


# -- down ----------------------------------------------------------------------
def down(
    keep_kafka: bool = typer.Option(False, "--keep-kafka", help="Leave the local broker running."),
    keep_postgres: bool = typer.Option(
        False, "--keep-postgres", help="Leave the local PostgreSQL running."
    ),
) -> None:
    """Stop services left running by an earlier 'taskforce up' of this checkout, then
    Kafka and PostgreSQL (only those under this checkout's var dir)."""
    settings = PlatformSettings()
    stopped = stop_strays(settings.var_dir / "run")
    typer.echo(f"Services stopped: {', '.join(stopped)}" if stopped else "No services running.")
    if not keep_kafka:
        typer.echo(LocalKafka.from_env().stop())
    if not keep_postgres:
        typer.echo(stop_server(local_postgres(settings)))


# -- demo ----------------------------------------------------------------------
def _demo_module(service: str) -> ModuleType | None:
    """``services.<service>.demo`` if that service ships demo data, else None."""
    module_name = f"services.{service}.demo"
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name in (module_name, f"services.{service}"):
            return None
        raise


@dataclass
class DemoReport:
    """How many things each service's loader created, and why a loader failed."""

    created: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        return f"{sum(self.created.values())} created {_per_service(self.created)}"


async def load_demo(settings: PlatformSettings, base_urls: Mapping[str, str]) -> DemoReport:
    """Call each service's ``demo.load`` through its public HTTP API, in dependency order.

    ``base_urls`` maps a service to its root URL (the API is under ``/v1``).
    Loaders are idempotent, so running this twice creates nothing the second
    time. A loader the service refuses (or that cannot reach it) is reported
    in ``failed`` with the reason, and the others still run: demo data is
    never a reason to stop a stack that is otherwise up.
    """

    def token_for(organisation: str, scopes: list[str]) -> str:
        from shared.http.auth import issue_token

        return issue_token(settings, organisation, scopes)

    report = DemoReport()
    # Notifications first: its subscriptions must exist before the other demo data's events.
    ordered = sorted(base_urls.items(), key=lambda item: item[0] != "notifications")
    async with httpx.AsyncClient(timeout=30.0, trust_env=False) as client:
        for service, base_url in ordered:
            module = _demo_module(service)
            if module is None:
                continue
            try:
                report.created[service] = int(await module.load(client, base_url, token_for))
            except DemoLoadError as exc:
                report.failed[service] = _shorten(str(exc))
            except httpx.HTTPError as exc:
                report.failed[service] = _shorten(f"{type(exc).__name__}: {exc}")
    return report


def _shorten(reason: str, limit: int = 600) -> str:
    return reason if len(reason) <= limit else reason[:limit] + " ..."


def _warn_demo(report: DemoReport) -> None:
    for service, reason in report.failed.items():
        typer.secho(
            f"Demo data of {service} not loaded (the service stays up): {reason}",
            err=True,
            fg=typer.colors.YELLOW,
        )


@demo_app.command("load")
def demo_load(
    host: str = typer.Option("127.0.0.1", help="Where the services listen."),
) -> None:
    """Load demo data into running services; a second run adds nothing."""
    settings = PlatformSettings()
    urls = {name: f"http://{host}:{settings.port_for(name)}" for name in SERVICE_PORTS}
    report = asyncio.run(load_demo(settings, urls))
    typer.echo(f"Demo data: {report.summary()}")
    _warn_demo(report)
    if report.failed:
        if any(r.startswith("ConnectError") for r in report.failed.values()):
            typer.echo("Is the stack running? Start it first with 'taskforce up'.", err=True)
        raise typer.Exit(1)
