"""``taskforce kafka``: the messages an operator sees, and no tracebacks for setup problems."""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shared.cli.kafka import app, kafka_answers

runner = CliRunner()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def listener() -> Iterator[int]:
    """A port held by a program that is not Kafka: it accepts and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port: int = sock.getsockname()[1]
        yield port


@pytest.fixture(autouse=True)
def isolated_broker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point LocalKafka at a scratch directory and unused ports, away from any real broker."""
    monkeypatch.setenv("TASKFORCE_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("TASKFORCE_KAFKA_PORT", str(free_port()))
    monkeypatch.setenv("TASKFORCE_KAFKA_CONTROLLER_PORT", str(free_port()))


def test_status_of_a_stopped_broker(tmp_path: Path) -> None:
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 0
    assert "Kafka: stopped" in result.output
    assert str(tmp_path / "kafka" / "data") in result.output


def test_stop_when_nothing_runs_is_fine() -> None:
    result = runner.invoke(app, ["stop"])
    assert result.exit_code == 0
    assert "not running" in result.output


def test_start_without_java_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    real_which = shutil.which
    monkeypatch.setattr(
        "shared.kafka_local.shutil.which",
        lambda cmd, *a, **k: None if cmd == "java" else real_which(cmd, *a, **k),
    )
    result = runner.invoke(app, ["start"])
    assert result.exit_code == 1
    assert "'java' was not found on PATH" in result.output
    assert "Traceback" not in result.output


def test_fetch_without_java_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    result = runner.invoke(app, ["fetch"])
    assert result.exit_code == 1
    assert "'java' was not found on PATH" in result.output
    assert "Traceback" not in result.output


def test_start_refuses_a_broker_port_held_by_something_else(
    listener: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TASKFORCE_KAFKA_PORT", str(listener))
    result = runner.invoke(app, ["start"])
    assert result.exit_code == 1
    assert f"Port {listener} is taken" in result.output
    assert "Traceback" not in result.output


def test_start_refuses_a_taken_controller_port(
    listener: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TASKFORCE_KAFKA_CONTROLLER_PORT", str(listener))
    result = runner.invoke(app, ["start"])
    assert result.exit_code == 1
    assert f"Port {listener} is taken" in result.output
    assert "Traceback" not in result.output


def test_probe_does_not_mistake_another_program_for_kafka(listener: int) -> None:
    assert not kafka_answers(f"127.0.0.1:{listener}", timeout=0.3)
    assert not kafka_answers(f"127.0.0.1:{free_port()}", timeout=0.3)
    assert not kafka_answers("not-an-address", timeout=0.3)


def test_probe_recognises_a_kafka_answer() -> None:
    """A stand-in that answers ApiVersions with the request's correlation id."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def answer_once() -> None:
        conn, _ = server.accept()
        with conn:
            request = conn.recv(1024)
            correlation_id = request[8:12]
            conn.sendall(b"\x00\x00\x00\x06" + correlation_id + b"\x00\x00")

    thread = threading.Thread(target=answer_once, daemon=True)
    thread.start()
    try:
        assert kafka_answers(f"PLAINTEXT://127.0.0.1:{port}")
    finally:
        thread.join(timeout=5)
        server.close()


@pytest.mark.kafka
def test_probe_recognises_the_real_broker(kafka_bootstrap: str) -> None:
    assert kafka_answers(kafka_bootstrap)
