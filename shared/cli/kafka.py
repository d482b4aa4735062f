"""``taskforce kafka``: the local broker, and a stack's principals, topics and ACLs on any broker.

``fetch``, ``start``, ``stop`` and ``status`` run the project's local broker
(``start --brokers 3``: a three-node cluster instead, ``shared.kafka_cluster``);
``provision`` (as the admin principal) creates this stack's principals, topics
and ACLs and puts drift back; ``acls``, ``principals`` and ``credentials`` show
them. Every command is safe to repeat. When something outside the project is in the
way (no Java, no Maven, a port taken) the command prints what to do and exits
with code 1, without a traceback: these are setup problems, not bugs.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Callable
from typing import TypeVar

import typer

from shared.kafka import acls as kafka_acls
from shared.kafka.principals import PrincipalKind, organisation_principal, stack_principals
from shared.kafka.provisioning import StackReport, admin_client, provision
from shared.kafka.security import password_file, password_variable
from shared.kafka_cluster import MIN_INSYNC_REPLICAS, REPLICATION_FACTOR, LocalKafkaCluster
from shared.kafka_local import KafkaSetupError, LocalKafka
from shared.settings import PlatformSettings

app = typer.Typer(
    no_args_is_help=True,
    help="The local Kafka broker (KRaft, one node or a cluster of three, SASL and ACLs), "
    "and a stack's principals, topics and ACLs.",
)

T = TypeVar("T")

_API_VERSIONS = 18


def kafka_answers(bootstrap: str, timeout: float = 2.0) -> bool:
    """True when any ``host:port`` in ``bootstrap`` answers a Kafka ApiVersions request.

    A plain TCP connect is not enough: some other program may hold the port,
    and the stack must not mistake it for a broker.
    """
    for server in bootstrap.split(","):
        address = server.strip().rpartition("://")[2]
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            continue
        if _api_versions(host.strip("[]"), int(port), timeout):
            return True
    return False


def _api_versions(host: str, port: int, timeout: float) -> bool:
    client_id = b"taskforce-probe"
    correlation_id = 0x7A5F
    header = struct.pack(">hhih", _API_VERSIONS, 0, correlation_id, len(client_id)) + client_id
    request = struct.pack(">i", len(header)) + header
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(request)
            answer = b""
            while len(answer) < 8:
                chunk = sock.recv(8 - len(answer))
                if not chunk:
                    return False
                answer += chunk
    except OSError:
        return False
    _size, got = struct.unpack(">ii", answer)
    return bool(got == correlation_id)


def _run(step: Callable[[], T]) -> T:
    """Run one setup step; turn a KafkaSetupError into a clear message and exit code 1."""
    try:
        return step()
    except KafkaSetupError as exc:
        typer.secho(str(exc), err=True, fg=typer.colors.RED)
        raise typer.Exit(code=1) from None


def ensure_started(local: LocalKafka) -> str:
    """Start the local broker unless a Kafka broker already answers on its port.

    Refuses (KafkaSetupError) when the port is held by something that is not
    Kafka, instead of reporting that program as a running broker.
    """
    if local.answering() and not kafka_answers(local.bootstrap):
        raise KafkaSetupError(
            f"Port {local.broker_port} is taken by a program that does not answer as a Kafka "
            "broker; stop it or set TASKFORCE_KAFKA_PORT / TASKFORCE_KAFKA_CONTROLLER_PORT."
        )
    return local.start()


def ensure_cluster_started(cluster: LocalKafkaCluster) -> str:
    """Start the local cluster, refusing while the single broker runs on its first ports.

    Node 1 takes the single broker's ports; and a port held by a program that is
    not Kafka is named, as for the single broker.
    """
    single = LocalKafka.from_env()
    if single.pid() is not None:
        raise KafkaSetupError(
            f"The single broker runs on {single.bootstrap} (pid {single.pid()}); "
            "stop it first ('taskforce kafka stop')."
        )
    for node in cluster.nodes:
        if node.answering() and not kafka_answers(node.bootstrap):
            raise KafkaSetupError(
                f"Port {node.broker_port} is taken by a program that does not answer as a "
                "Kafka broker; stop it or set TASKFORCE_KAFKA_PORT / "
                "TASKFORCE_KAFKA_CONTROLLER_PORT."
            )
    return cluster.start()


@app.command()
def fetch() -> None:
    """Download the pinned Kafka jars from Maven Central (once; again only if the pom changes)."""
    local = LocalKafka.from_env()
    fetched = _run(local.fetch)
    if fetched:
        typer.echo(f"Fetched Kafka jars into {local.libs}")
    else:
        typer.echo(f"Kafka jars already in {local.libs} (pom unchanged)")


@app.command()
def start(
    brokers: int = typer.Option(
        1,
        "--brokers",
        help="1: one combined node (9092/9093). 3: a cluster of three combined nodes, "
        "clients on 9092/9094/9096, controllers on 9093/9095/9097, RF 3, min ISR 2.",
    ),
) -> None:
    """Start the broker in the background (does nothing if one already answers)."""
    if brokers != 1:
        start_cluster(brokers)
        return
    cluster = LocalKafkaCluster.from_env()
    if cluster.running():
        typer.echo(
            f"The Kafka cluster of this checkout runs on {cluster.bootstrap}; "
            "'taskforce kafka stop' stops it before a single broker can start."
        )
        return
    local = LocalKafka.from_env()
    typer.echo(_run(lambda: ensure_started(local)))
    typer.echo(f"Logs: {local.logs}")


def start_cluster(size: int) -> None:
    cluster = _run(lambda: LocalKafkaCluster.from_env(size))
    typer.echo(_run(lambda: ensure_cluster_started(cluster)))
    typer.echo(f"Logs: {cluster.home}/node-<n>/logs")
    typer.echo(
        "The platform's settings for it: "
        f"KAFKA_BOOTSTRAP_SERVERS={cluster.bootstrap} "
        f"TASKFORCE_TOPIC_REPLICATION_FACTOR={REPLICATION_FACTOR} "
        f"TASKFORCE_TOPIC_MIN_INSYNC_REPLICAS={MIN_INSYNC_REPLICAS}"
    )


@app.command()
def stop() -> None:
    """Stop the broker this checkout started (a broker run by someone else is left alone).

    The cluster's nodes too, when ``start --brokers 3`` started them.
    """
    cluster = LocalKafkaCluster.from_env()
    if cluster.running():
        typer.echo(_run(cluster.stop))
        if LocalKafka.from_env().pid() is None:
            return
    typer.echo(_run(LocalKafka.from_env().stop))


@app.command()
def status() -> None:
    """Say whether the broker runs, its pid, bootstrap address, data and log directories."""
    cluster = LocalKafkaCluster.from_env()
    if cluster.running():
        typer.echo(f"Kafka cluster of {cluster.size} nodes:")
        for line in cluster.status():
            typer.echo(f"  {line}")
        typer.echo(f"  bootstrap: {cluster.bootstrap}")
        typer.echo(f"  nodes:     {cluster.home}/node-<n> (data, logs)")
        return
    local = LocalKafka.from_env()
    typer.echo(f"Kafka: {local.status()}")
    typer.echo(f"  bootstrap: {local.bootstrap}")
    typer.echo(f"  data:      {local.data}")
    typer.echo(f"  logs:      {local.logs}")
    if cluster.exists():
        typer.echo(f"Kafka cluster: stopped ({cluster.home}/node-<n>)")


def run_provisioning(settings: PlatformSettings) -> StackReport:
    """Provision the stack, or exit 1 with what went wrong (no traceback: a setup problem)."""
    try:
        return asyncio.run(provision(settings))
    except Exception as exc:  # librdkafka and pydantic raise several kinds; all mean the same
        raise KafkaSetupError(
            f"Provisioning on {settings.kafka_bootstrap_servers} failed: {exc}"
        ) from exc


@app.command("provision")
def provision_command(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="List every change."),
) -> None:
    """Create this stack's principals, topics and ACLs as admin; put drift back."""
    settings = PlatformSettings()
    report = _run(lambda: run_provisioning(settings))
    typer.echo(report.summary())
    if verbose:
        for name in report.principals.created:
            typer.echo(f"principal created  {name}")
        for name in report.topics.created:
            typer.echo(f"topic created      {name}")
        for name, drift in report.topics.altered.items():
            typer.echo(f"topic realigned    {name} {drift}")
        for verb, changed in (("created", report.acls.created), ("removed", report.acls.deleted)):
            for acl in changed:
                typer.echo(
                    f"ACL {verb:14} {acl.principal} {acl.operation} {acl.resource} {acl.name}"
                )


@app.command("acls")
def acls_command(
    wanted: bool = typer.Option(
        False, "--wanted", help="The ACLs provisioning would create, without asking the broker."
    ),
) -> None:
    """The ACLs of this stack's principals on the broker, as a table."""
    settings = PlatformSettings()
    if wanted:
        typer.echo(kafka_acls.table(kafka_acls.wanted_acls(settings)))
        return

    async def on_broker() -> list[kafka_acls.Acl]:
        async with admin_client(settings) as admin:
            return [
                acl
                for binding in await admin.acls()
                if (acl := kafka_acls.Acl.of(binding)) is not None
            ]

    try:
        found = asyncio.run(on_broker())
    except Exception as exc:
        typer.secho(f"reading ACLs failed: {exc}", err=True, fg=typer.colors.RED)
        raise typer.Exit(1) from exc
    typer.echo(kafka_acls.table(found))


@app.command("principals")
def principals_command() -> None:
    """This stack's principals and where each one's password is kept."""
    settings = PlatformSettings()
    for principal in stack_principals(settings):
        typer.echo(
            f"{principal.kind.value:12} {principal.name:32} "
            f"{_password_source(settings, principal.name)}"
        )


@app.command("credentials")
def credentials_command(
    organisation: str = typer.Argument(..., help="Organisation code, e.g. bz or kmar."),
) -> None:
    """What an organisation's system needs to read its own stream (not the password itself)."""
    from shared.events.catalogue import stream_topic_of

    settings = PlatformSettings()
    try:
        principal = organisation_principal(settings, organisation)
    except ValueError as exc:
        typer.secho(str(exc), err=True, fg=typer.colors.RED)
        raise typer.Exit(1) from None
    assert principal.kind is PrincipalKind.ORGANISATION
    lines = [
        f"bootstrap servers  {settings.kafka_bootstrap_servers}",
        f"security protocol  {settings.kafka_security_protocol}",
        "SASL mechanism     SCRAM-SHA-512",
        f"username           {principal.name}",
        f"password           {_password_source(settings, principal.name)}",
        f"stream topic       {stream_topic_of(organisation)}",
        f"consumer groups    {principal.group_prefix}<name>",
    ]
    if settings.kafka_security_protocol == "SASL_SSL":
        lines.append(f"CA certificate     {settings.kafka_cafile}")
    typer.echo("\n".join(lines))


def _password_source(settings: PlatformSettings, name: str) -> str:
    import os

    variable = password_variable(name)
    if os.environ.get(variable):
        return f"${variable}"
    path = password_file(settings.kafka_secrets, name)
    return str(path) if path.exists() else f"{path} (not yet: run 'taskforce kafka provision')"
