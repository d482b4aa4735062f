"""The supervisor starts, kills and restarts services and leaves nothing running."""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
print("replica", os.environ.get("TASKFORCE_REPLICA", "-"), "on", port, flush=True)
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


def supervisor_for(tmp_path: Path, script: str, replicas: int = 1, **env: str) -> Supervisor:
    return Supervisor(
        ports={"fake": free_port() if replicas == 1 else free_replica_ports(replicas)},
        log_dir=tmp_path / "logs",
        run_dir=tmp_path / "run",
        env=env,
        # "services.fake" in argv lets stop_strays recognise the process as ours.
        command=lambda name: [sys.executable, "-c", script, f"services.{name}"],
        replicas=replicas,
    )


def free_replica_ports(replicas: int) -> int:
    """A free port whose replica ports (+100, +200, ...) are free too."""
    while True:
        port = free_port()
        if port + 100 * replicas < 65536 and not any(
            port_in_use(port + 100 * i) for i in range(replicas + 1)
        ):
            return port


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


def test_one_replica_is_one_process_named_after_its_service(tmp_path: Path) -> None:
    sup = supervisor_for(tmp_path, FAKE_SERVICE)
    assert sup.names == ["fake"]
    assert sup.listening_ports() == {"fake": sup.ports["fake"]}
    assert sup.upstreams("fake") == [sup.base_url("fake")]


def test_replicas_run_on_their_own_ports_with_their_number(tmp_path: Path) -> None:
    sup = supervisor_for(tmp_path, FAKE_SERVICE, replicas=2)
    base = sup.ports["fake"]
    assert sup.names == ["fake-1", "fake-2"]
    assert sup.listening_ports() == {
        "fake-1": base + 100,
        "fake-2": base + 200,
        "the fake proxy": base,
    }
    assert sup.base_url("fake") == f"http://127.0.0.1:{base}"  # where the proxy goes
    assert sup.upstreams("fake") == [
        f"http://127.0.0.1:{base + 100}",
        f"http://127.0.0.1:{base + 200}",
    ]
    try:
        sup.start_all_ready(timeout=20)
        assert port_in_use(base + 100) and port_in_use(base + 200)
        assert not port_in_use(base)  # the proxy's, not the supervisor's to take
        assert sup.log_path("fake-1").read_text().count(f"replica 1 on {base + 100}") == 1
        assert sup.log_path("fake-2").read_text().count(f"replica 2 on {base + 200}") == 1
        assert sorted(p.name for p in sup.run_dir.glob("*.pid")) == ["fake-1.pid", "fake-2.pid"]
    finally:
        sup.stop_all(timeout=5)
    assert not port_in_use(base + 100) and not port_in_use(base + 200)


def test_a_dead_replica_is_not_restarted_and_the_others_run_on(tmp_path: Path) -> None:
    sup = supervisor_for(tmp_path, FAKE_SERVICE, replicas=2)
    try:
        sup.start_all()
        sup.wait_all_ready(timeout=20)
        sup.kill("fake-1")
        time.sleep(0.5)
        assert sup.exited() == {"fake-1": -9}
        assert sup.running("fake-2")
        assert sup.services_down() == []  # one replica left: the service is still up
        sup.kill("fake-2")
        assert sup.services_down() == ["fake"]
    finally:
        sup.stop_all(timeout=5)


def test_with_one_replica_a_death_takes_the_service_down(supervisor: Supervisor) -> None:
    assert supervisor.services_down() == []  # nothing started, nothing down
    supervisor.start("fake")
    supervisor.wait_ready("fake", timeout=20)
    assert supervisor.services_down() == []
    supervisor.kill("fake")
    assert supervisor.services_down() == ["fake"]


def test_strays_of_replicas_are_stopped(tmp_path: Path) -> None:
    sup = supervisor_for(tmp_path, FAKE_SERVICE, replicas=2)
    sup.start_all()
    sup.wait_all_ready(timeout=20)
    pids = {name: process.pid for name, process in sup.processes.items()}
    stopped = stop_strays(tmp_path / "run", timeout=5)
    assert stopped == [f"{name} (pid {pid})" for name, pid in sorted(pids.items())]
    for process in sup.processes.values():
        process.wait(timeout=5)
        assert group_gone(process.pid)


def test_replicas_must_be_at_least_one(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Supervisor(ports={"fake": 1}, replicas=0)


def test_the_first_replica_is_ready_before_the_others_start(tmp_path: Path) -> None:
    """It migrates the database: replicas migrating one fresh database at once collide."""
    sup = supervisor_for(tmp_path, FAKE_SERVICE, replicas=3)
    ready_at: dict[str, float] = {}
    started_at: dict[str, float] = {}
    wait_ready, start = sup.wait_ready, sup.start

    def noting_ready(name: str, timeout: float = 60.0) -> None:
        wait_ready(name, timeout)
        ready_at.setdefault(name, time.monotonic())

    def noting_start(name: str) -> Any:
        started_at.setdefault(name, time.monotonic())
        return start(name)

    sup.wait_ready, sup.start = noting_ready, noting_start  # type: ignore[method-assign]
    try:
        sup.start_all_ready(timeout=20)
        assert sorted(ready_at) == ["fake-1", "fake-2", "fake-3"]
        assert started_at["fake-2"] >= ready_at["fake-1"]
        assert started_at["fake-3"] >= ready_at["fake-1"]
    finally:
        sup.stop_all(timeout=5)
