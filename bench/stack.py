"""The benchmark's own stack: a broker and the four services on spare ports under var/bench.

Nothing is shared with ``make up`` or the test suite except the Kafka jars:
the broker has its own data directory, the services a fresh
``TASKFORCE_VAR_DIR``, and every port is picked free at start.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
from dataclasses import dataclass, field
from pathlib import Path

from shared.kafka_local import LocalKafka
from shared.settings import PROJECT_ROOT, SERVICE_PORTS, PlatformSettings
from shared.supervisor import Supervisor

BENCH_DIR = PROJECT_ROOT / "var" / "bench"
SHARED_LIBS = PROJECT_ROOT / "var" / "kafka" / "libs"


def spare_ports(count: int) -> list[int]:
    """Ports nothing listens on now (held open together so they differ)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for sock in sockets:
            sock.close()


@dataclass
class BenchStack:
    """Broker, services and the settings a client of them needs."""

    root: Path = BENCH_DIR
    jwt_secret: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    kafka: LocalKafka = field(init=False)
    supervisor: Supervisor = field(init=False)
    receiver_port: int = field(init=False)
    _kafka_started: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        broker, controller, receiver, *service_ports = spare_ports(3 + len(SERVICE_PORTS))
        self.receiver_port = receiver
        self.kafka = LocalKafka(
            home=self.root / "kafka",
            broker_port=broker,
            controller_port=controller,
            libs_dir=SHARED_LIBS,
        )
        self.supervisor = Supervisor(
            ports=dict(zip(SERVICE_PORTS, service_ports, strict=True)),
            log_dir=self.var_dir / "logs",
            run_dir=self.var_dir / "run",
            env=self.env,
        )

    @property
    def var_dir(self) -> Path:
        return self.root / "var"

    @property
    def env(self) -> dict[str, str]:
        return {
            "TASKFORCE_VAR_DIR": str(self.var_dir),
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka.bootstrap,
            "TASKFORCE_JWT_SECRET": self.jwt_secret,
            "TASKFORCE_NOTIFICATIONS_ALLOWED_HOSTS": '["127.0.0.1"]',
        }

    def settings(self) -> PlatformSettings:
        return PlatformSettings(
            var_dir=self.var_dir,
            kafka_bootstrap_servers=self.kafka.bootstrap,
            jwt_secret=self.jwt_secret,
        )

    def url(self, service: str) -> str:
        return self.supervisor.base_url(service)

    def start_kafka(self) -> None:
        """A fresh broker: the previous run's data and logs are removed first."""
        if self.kafka.pid() is not None:
            self.kafka.stop()
        for stale in (self.kafka.home, self.var_dir):
            shutil.rmtree(stale, ignore_errors=True)
        self._kafka_started = True  # set first: an interrupt during start still stops it
        self.kafka.start()

    def start_services(self, timeout: float = 120.0) -> None:
        os.environ.update(self.env)  # for PlatformSettings() read in this process too
        self.supervisor.start_all()
        self.supervisor.wait_all_ready(timeout)

    def stop(self) -> None:
        """Services first (they drain), then the broker; safe to call twice."""
        self.supervisor.stop_all(timeout=20)
        if self._kafka_started:
            self.kafka.stop()
            self._kafka_started = False
