"""The supervisor starts, kills and restarts services and leaves nothing running."""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.supervisor import ServiceError, Supervisor, port_in_use, stop_strays

#: A stand-in service: serves /ready on its port and spawns a grandchild, like a
#: real service might (a worker, a reloader); stopping the service must end both.
FAKE_SERVICE = """
import http.server, os, subprocess, sys
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
status = int(os.environ.get("FAKE_READY_STATUS", "200"))
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(status if self.path == "/ready" else 200)
        self.end_headers()
        self.wfile.write(b"{}")
    def log_message(self, *args):
        pass
print("fake service up", flush=True)
port = int(os.environ["TASKFORCE_FAKE_PORT"])
http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
"""

CRASHING_SERVICE = "print('cannot open database', flush=True); raise SystemExit(3)"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def group_alive(pgid: int) -> bool:
    """True while any process (not a zombie) is left in the process group."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def group_gone(pgid: int, within: float = 5.0) -> bool:
    """Whether the group is gone within ``within`` seconds.

    A signal to a group is delivered to each member asynchronously: a child can
    still be tearing down for a moment after the parent has been reaped.
    """
    deadline = time.monotonic() + within
    while group_alive(pgid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def supervisor_for(tmp_path: Path, script: str, **env: str) -> Supervisor:
    return Supervisor(
        ports={"fake": free_port()},
        log_dir=tmp_path / "logs",
        run_dir=tmp_path / "run",
        env=env,
        # "services.fake" in argv lets stop_strays recognise the process as ours.
        command=lambda name: [sys.executable, "-c", script, f"services.{name}"],
    )


@pytest.fixture
def supervisor(tmp_path: Path) -> Iterator[Supervisor]:
    sup = supervisor_for(tmp_path, FAKE_SERVICE)
    yield sup
    sup.stop_all(timeout=5)


def test_start_ready_kill_restart_stop(supervisor: Supervisor) -> None:
    first = supervisor.start("fake")
    supervisor.wait_ready("fake", timeout=20)
    assert port_in_use(supervisor.ports["fake"])
    assert supervisor.pid_path("fake").read_text() == str(first.pid)

    supervisor.kill("fake")
    assert supervisor.exited() == {"fake": -9}
    assert group_gone(first.pid)
    assert not supervisor.pid_path("fake").exists()

    second = supervisor.start("fake")
    assert second.pid != first.pid
    supervisor.wait_ready("fake", timeout=20)
    assert supervisor.running("fake")

    supervisor.stop("fake", timeout=5)
    assert not supervisor.running("fake")
    assert group_gone(second.pid)
    assert not port_in_use(supervisor.ports["fake"])
    log = supervisor.log_path("fake").read_text()
    assert log.count("fake service up") == 2


def test_start_twice_keeps_one_process(supervisor: Supervisor) -> None:
    assert supervisor.start("fake").pid == supervisor.start("fake").pid


def test_a_service_that_dies_at_start_is_reported_with_its_log(tmp_path: Path) -> None:
    sup = supervisor_for(tmp_path, CRASHING_SERVICE)
    sup.start("fake")
    with pytest.raises(ServiceError, match="exited with code 3") as info:
        sup.wait_ready("fake", timeout=20)
    assert "cannot open database" in str(info.value)
    sup.stop_all()


def test_a_service_that_never_gets_ready_times_out(tmp_path: Path) -> None:
    sup = supervisor_for(tmp_path, FAKE_SERVICE, FAKE_READY_STATUS="503")
    process = sup.start("fake")
    try:
        with pytest.raises(ServiceError, match="HTTP 503") as info:
            sup.wait_ready("fake", timeout=3)
        assert "fake service up" in str(info.value)
    finally:
        sup.stop_all(timeout=5)
    assert group_gone(process.pid)


def test_strays_of_a_vanished_supervisor_are_stopped(tmp_path: Path) -> None:
    sup = supervisor_for(tmp_path, FAKE_SERVICE)
    process = sup.start("fake")
    sup.wait_ready("fake", timeout=20)
    stopped = stop_strays(tmp_path / "run", timeout=5)
    assert stopped == [f"fake (pid {process.pid})"]
    process.wait(timeout=5)
    assert group_gone(process.pid)
    assert list((tmp_path / "run").glob("*.pid")) == []


def test_stale_pidfiles_are_ignored(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "ghost.pid").write_text("999999999")
    (run / "mine.pid").write_text(str(os.getpid()))  # alive, but not a service: left alone
    assert stop_strays(run) == []
    assert list(run.glob("*.pid")) == []
