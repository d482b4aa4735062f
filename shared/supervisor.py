"""A small process supervisor for the four service processes.

``taskforce up`` uses it to run the stack on one machine, and end-to-end tests
use it to start, ``kill -9`` and restart single services to prove that nothing
is lost when a process dies. Each service runs in its own process group (its
own session), so a Ctrl-C in the terminal reaches only the supervisor, which
then stops the services in order; and stopping a service also stops anything
it spawned. Each child's pid is written to ``<run_dir>/<name>.pid`` so that
``taskforce down`` can clean up after a supervisor that was itself killed.

With ``replicas`` above 1 each service runs as that many processes, named
``<service>-<i>`` (``countries-1``, ``countries-2``, ...), replica ``i`` on the
service's port plus ``100 * i`` (``port_step``) and with ``TASKFORCE_REPLICA=<i>``; the
service's own port is then left for the round-robin proxy in front of them
(``shared.http.round_robin``). One replica (the default) is one process named
after its service, on the service's port, exactly as without replicas.
Nothing is restarted automatically, whatever the number of replicas.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from shared.private import open_private_log, write_private
from shared.settings import SERVICE_PORTS, default_var_dir

#: How to launch a service: its name -> argv. The default runs ``python -m services.<name>``.
Command = Callable[[str], list[str]]

#: Replica ``i`` of a service listens on the service's port plus this times ``i`` (by default).
REPLICA_PORT_STEP = 100


class ServiceError(RuntimeError):
    """A service did not become ready or died; the message carries the tail of its log."""


def service_command(name: str) -> list[str]:
    """The argv that runs one service with the interpreter running this code."""
    return [sys.executable, "-m", f"services.{name}"]


def port_env_var(name: str) -> str:
    """The variable that overrides a service's port (read by ``PlatformSettings.port_for``)."""
    return f"TASKFORCE_{name.upper()}_PORT"


def replica_port(port: int, replica: int, step: int = REPLICA_PORT_STEP) -> int:
    """The port of replica ``replica`` (from 1) of a service whose port is ``port``."""
    return port + step * replica


def service_of(name: str) -> str:
    """The service a process name belongs to: ``countries-2`` -> ``countries``."""
    service, dash, number = name.rpartition("-")
    return service if dash and number.isdigit() else name


def log_tail(path: Path, lines: int = 40) -> str:
    """The last lines of a log file, for error messages that explain a failure."""
    try:
        with path.open("rb") as fh:
            fh.seek(max(0, path.stat().st_size - 64_000))
            text = fh.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """True when something accepts connections on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


@dataclass
class Supervisor:
    """Start, stop, kill and watch named service processes.

    ``ports`` names the services and their ports; the port reaches the child
    through ``TASKFORCE_<NAME>_PORT``. ``env`` is added to the inherited
    environment of every child. ``replicas`` processes run per service; the
    methods below take a process name (see :meth:`names_of`).
    """

    ports: Mapping[str, int] = field(default_factory=lambda: dict(SERVICE_PORTS))
    log_dir: Path = field(default_factory=lambda: default_var_dir() / "logs")
    run_dir: Path = field(default_factory=lambda: default_var_dir() / "run")
    env: Mapping[str, str] = field(default_factory=dict)
    command: Command = service_command
    host: str = "127.0.0.1"
    replicas: int = 1
    #: How far apart the replicas' ports are; the service ports must be further apart.
    port_step: int = REPLICA_PORT_STEP
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        if self.replicas < 1:
            raise ValueError(f"replicas must be at least 1, not {self.replicas}")

    # -- names and ports -------------------------------------------------------
    def names_of(self, service: str) -> list[str]:
        """The process names of a service: itself for one replica, else ``<service>-<i>``."""
        if self.replicas == 1:
            return [service]
        return [f"{service}-{i}" for i in range(1, self.replicas + 1)]

    @property
    def names(self) -> list[str]:
        """Every process name, service by service."""
        return [name for service in self.ports for name in self.names_of(service)]

    def port_of(self, name: str) -> int:
        """Where a process listens; for a service name, the service's own (proxy's) port."""
        if name in self.ports:
            return self.ports[name]
        service = service_of(name)
        return replica_port(self.ports[service], int(name.rpartition("-")[2]), self.port_step)

    def listening_ports(self) -> dict[str, int]:
        """Every port this stack takes: the processes', and the proxies' with replicas."""
        taken = {name: self.port_of(name) for name in self.names}
        if self.replicas > 1:
            taken |= {f"the {service} proxy": port for service, port in self.ports.items()}
        return taken

    def upstreams(self, service: str) -> list[str]:
        """The base URLs of a service's replicas, for the proxy in front of them."""
        return [self.base_url(name) for name in self.names_of(service)]

    # -- single services -----------------------------------------------------
    def start(self, name: str) -> subprocess.Popen[bytes]:
        """Start one process (no-op if it is already running under this supervisor)."""
        running = self.processes.get(name)
        if running is not None and running.poll() is None:
            return running
        if name not in self.names:
            raise KeyError(f"{name} is none of {', '.join(self.names)}")
        service, port = service_of(name), self.port_of(name)
        self.run_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        env = {**os.environ, **self.env, port_env_var(service): str(port), "PYTHONUNBUFFERED": "1"}
        if self.replicas > 1:
            env["TASKFORCE_REPLICA"] = name.rpartition("-")[2]
        with os.fdopen(open_private_log(self.log_path(name)), "ab") as log:
            log.write(f"\n--- starting {name} on port {port} at {time.ctime()} ---\n".encode())
            log.flush()
            process = subprocess.Popen(
                self.command(service),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        self.processes[name] = process
        write_private(self.pid_path(name), str(process.pid))
        return process

    def stop(self, name: str, timeout: float = 15.0) -> int | None:
        """SIGTERM the service's process group, then SIGKILL it after ``timeout``.

        Returns the exit code, or None if the service was not running.
        """
        process = self.processes.get(name)
        if process is None:
            return None
        if process.poll() is None:
            _signal_group(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(process.pid, signal.SIGKILL)
                process.wait()
        _signal_group(process.pid, signal.SIGKILL)  # anything the service left behind
        self.pid_path(name).unlink(missing_ok=True)
        return process.returncode

    def kill(self, name: str) -> None:
        """SIGKILL the service at once: for tests that prove a crash loses nothing."""
        process = self.processes.get(name)
        if process is None:
            return
        _signal_group(process.pid, signal.SIGKILL)
        process.wait()
        self.pid_path(name).unlink(missing_ok=True)

    def wait_ready(self, name: str, timeout: float = 60.0) -> None:
        """Poll ``GET /ready`` until it answers 200; raise ServiceError with the log tail if not."""
        process = self.processes.get(name)
        if process is None:
            raise ServiceError(f"{name} was not started")
        url = f"{self.base_url(name)}/ready"
        deadline = time.monotonic() + timeout
        last = "no answer"
        with httpx.Client(timeout=2.0, trust_env=False) as client:
            while True:
                if process.poll() is not None:
                    raise ServiceError(
                        f"{name} exited with code {process.returncode} before it was ready. "
                        f"Last lines of {self.log_path(name)}:\n{log_tail(self.log_path(name))}"
                    )
                try:
                    response = client.get(url)
                    if response.status_code == 200:
                        return
                    last = f"HTTP {response.status_code}: {response.text[:200]}"
                except httpx.HTTPError as exc:
                    last = type(exc).__name__
                if time.monotonic() >= deadline:
                    raise ServiceError(
                        f"{name} was not ready at {url} within {timeout:.0f}s (last: {last}). "
                        f"Last lines of {self.log_path(name)}:\n{log_tail(self.log_path(name))}"
                    )
                time.sleep(0.2)

    def running(self, name: str) -> bool:
        process = self.processes.get(name)
        return process is not None and process.poll() is None

    # -- all services ----------------------------------------------------------
    def start_all(self, names: Iterable[str] | None = None) -> None:
        for name in names if names is not None else self.names:
            self.start(name)

    def wait_all_ready(self, timeout: float = 60.0) -> None:
        """Wait for every started service, sharing one deadline."""
        deadline = time.monotonic() + timeout
        for name in self.processes:
            self.wait_ready(name, timeout=max(0.0, deadline - time.monotonic()))

    def start_all_ready(self, timeout: float = 60.0) -> None:
        """Start every process and wait until all are ready, sharing one deadline.

        With replicas, each service's first replica starts alone and must be ready
        before the others start: it migrates the service's database, and replicas
        migrating one fresh database at once collide creating its tables.
        """
        deadline = time.monotonic() + timeout
        if self.replicas > 1:
            self.start_all([self.names_of(service)[0] for service in self.ports])
            self.wait_all_ready(timeout)
        self.start_all()
        self.wait_all_ready(max(0.0, deadline - time.monotonic()))

    def stop_all(self, timeout: float = 15.0) -> None:
        """Stop every service: SIGTERM all at once, then wait, then SIGKILL what is left."""
        for process in self.processes.values():
            if process.poll() is None:
                _signal_group(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for name in list(self.processes):
            process = self.processes[name]
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(max(0.0, deadline - time.monotonic()))
            self.stop(name, timeout=0)

    def exited(self) -> dict[str, int]:
        """Processes that have died on their own: name -> exit code."""
        return {
            name: code
            for name, process in self.processes.items()
            if (code := process.poll()) is not None
        }

    def services_down(self) -> list[str]:
        """Started services of which no replica runs any more (with one replica: any death)."""
        return [
            service
            for service in self.ports
            if any(name in self.processes for name in self.names_of(service))
            and not any(self.running(name) for name in self.names_of(service))
        ]

    # -- places ----------------------------------------------------------------
    def base_url(self, name: str) -> str:
        """A process's URL; for a service name, the one its clients use (the proxy's)."""
        return f"http://{self.host}:{self.port_of(name)}"

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def pid_path(self, name: str) -> Path:
        return self.run_dir / f"{name}.pid"


def stop_strays(run_dir: Path, timeout: float = 15.0) -> list[str]:
    """Stop service processes recorded in ``run_dir`` by a supervisor that is gone.

    A pid is only signalled while its command line still has ``services.<service>``
    as an argument (the service of a replica ``<service>-<i>``), so a recycled pid
    never hits an unrelated process.
    """
    stopped: list[str] = []
    for pidfile in sorted(run_dir.glob("*.pid")):
        name = pidfile.stem
        try:
            pid = int(pidfile.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (FileNotFoundError, ValueError):
            pidfile.unlink(missing_ok=True)
            continue
        if f"services.{service_of(name)}".encode() not in cmdline.split(b"\0"):
            pidfile.unlink(missing_ok=True)
            continue
        _signal_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        _signal_group(pid, signal.SIGKILL)
        pidfile.unlink(missing_ok=True)
        stopped.append(f"{name} (pid {pid})")
    return stopped


def _signal_group(pid: int, sig: signal.Signals) -> None:
    """Signal the process group led by ``pid`` (children start their own session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still "exists" until reaped; treat it as gone.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"
