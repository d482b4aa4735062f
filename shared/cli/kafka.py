"""``taskforce kafka``: fetch, start, stop and inspect the project's local broker.

Every command is safe to repeat. When something outside the project is in the
way (no Java, no Maven, a port taken) the command prints what to do and exits
with code 1, without a traceback: these are setup problems, not bugs.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable
from typing import TypeVar

import typer

from shared.kafka_local import KafkaSetupError, LocalKafka

app = typer.Typer(no_args_is_help=True, help="Run the local Apache Kafka broker (KRaft, one node).")

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
def start() -> None:
    """Start the broker in the background (does nothing if one already answers)."""
    local = LocalKafka.from_env()
    typer.echo(_run(lambda: ensure_started(local)))
    typer.echo(f"Logs: {local.logs}")


@app.command()
def stop() -> None:
    """Stop the broker this checkout started (a broker run by someone else is left alone)."""
    typer.echo(_run(LocalKafka.from_env().stop))


@app.command()
def status() -> None:
    """Say whether the broker runs, its pid, bootstrap address, data and log directories."""
    local = LocalKafka.from_env()
    typer.echo(f"Kafka: {local.status()}")
    typer.echo(f"  bootstrap: {local.bootstrap}")
    typer.echo(f"  data:      {local.data}")
    typer.echo(f"  logs:      {local.logs}")
