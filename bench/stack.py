"""The benchmark's own stack: a broker and the four services on spare ports under var/bench.

Nothing is shared with ``make up`` or the test suite except the Kafka jars:
the broker has its own data directory and secrets, the services a fresh
``TASKFORCE_VAR_DIR``, and every port is picked free at start.

The broker is secured like every other (SASL/SCRAM-SHA-512 on its client
listener, ACLs from the catalogue), and each service connects as its own
principal with the password provisioning wrote to the bench's secrets
directory. Only the bench broker also has a second, unauthenticated
``PLAINTEXT`` listener: the baseline against which :mod:`bench.auth` measures
what authentication costs. Its clients are ``User:ANONYMOUS``, which no ACL
but the bench's own scratch topic names, so the listener opens nothing else.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
from dataclasses import dataclass, field
from pathlib import Path

from shared.kafka.principals import ADMIN
from shared.kafka.security import Credentials, load_credentials, write_secret
from shared.kafka_local import KafkaSetupError, LocalKafka
from shared.postgres_local import LocalPostgres
from shared.settings import PROJECT_ROOT, SERVICE_PORTS, PlatformSettings
from shared.supervisor import Supervisor

BENCH_DIR = PROJECT_ROOT / "var" / "bench"
SHARED_LIBS = PROJECT_ROOT / "var" / "kafka" / "libs"
#: The listener name of the bench broker's unauthenticated listener.
PLAIN_LISTENER = "BENCH_PLAIN"


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


@dataclass(frozen=True)
class BenchKafka(LocalKafka):
    """The local broker with one more listener: ``PLAINTEXT`` on ``plain_port``.

    ``LocalKafka`` refuses an unauthenticated listener, rightly; the bench adds
    one to the properties it wrote, only on its own broker, only on loopback.
    """

    plain_port: int = 0

    @property
    def plain_bootstrap(self) -> str:
        return f"127.0.0.1:{self.plain_port}"

    def write_properties(self) -> None:
        super().write_properties()
        if not self.plain_port:
            return
        lines = self.properties.read_text().splitlines()
        additions = {
            "listeners=": f",{PLAIN_LISTENER}://127.0.0.1:{self.plain_port}",
            "advertised.listeners=": f",{PLAIN_LISTENER}://127.0.0.1:{self.plain_port}",
            "listener.security.protocol.map=": f",{PLAIN_LISTENER}:PLAINTEXT",
        }
        for start, addition in additions.items():
            found = [i for i, line in enumerate(lines) if line.startswith(start)]
            if len(found) != 1:
                raise KafkaSetupError(
                    f"bench: expected one '{start}' line in {self.properties}, found "
                    f"{len(found)}; deploy/kafka/server.properties changed shape"
                )
            lines[found[0]] += addition
        lines += [
            "",
            "# Bench only: an unauthenticated listener (User:ANONYMOUS, ACLs on a scratch",
            "# topic only) as the baseline of the authentication cost.",
        ]
        write_secret(self.properties, "\n".join(lines))


@dataclass
class BenchStack:
    """Broker, services and the settings a client of them needs."""

    root: Path = BENCH_DIR
    #: ``sqlite`` (a file per service, as ``make up``) or ``postgresql`` (a server of the
    #: bench's own, durable as in production, one database per service).
    database: str = "sqlite"
    #: Processes per service (``taskforce up --replicas``); more than one needs PostgreSQL.
    replicas: int = 1
    jwt_secret: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    kafka: BenchKafka = field(init=False)
    postgres: LocalPostgres | None = field(default=None, init=False)
    supervisor: Supervisor = field(init=False)
    receiver_port: int = field(init=False)
    _kafka_started: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        broker, controller, plain, receiver, database, *service_ports = spare_ports(
            5 + len(SERVICE_PORTS)
        )
        self.receiver_port = receiver
        if self.database == "postgresql":
            self.postgres = LocalPostgres(
                home=self.root / "postgres",
                port=database,
                secrets_dir=self.root / "secrets" / "postgres",
            )
        elif self.database != "sqlite":
            raise ValueError(f"database {self.database!r}: sqlite or postgresql")
        if self.replicas > 1 and self.postgres is None:
            raise ValueError("replicas share one database per service: use PostgreSQL")
        self.kafka = BenchKafka(
            home=self.root / "kafka",
            broker_port=broker,
            controller_port=controller,
            libs_dir=SHARED_LIBS,
            security_protocol="SASL_PLAINTEXT",
            secrets_dir=self.root / "secrets" / "kafka",
            plain_port=plain,
        )
        self.supervisor = Supervisor(
            ports=dict(zip(SERVICE_PORTS, service_ports, strict=True)),
            log_dir=self.var_dir / "logs",
            run_dir=self.var_dir / "run",
            env=self.env,
            replicas=self.replicas,
            # Spare ports are anywhere: the replicas' go after them, far enough apart.
            port_step=1000,
        )

    @property
    def var_dir(self) -> Path:
        return self.root / "var"

    @property
    def env(self) -> dict[str, str]:
        """What the services (and ``PlatformSettings()`` in this process) read."""
        return {
            "TASKFORCE_VAR_DIR": str(self.var_dir),
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka.bootstrap,
            "TASKFORCE_KAFKA_SECURITY_PROTOCOL": self.kafka.security_protocol,
            # Each service reads its own principal's password from here.
            "TASKFORCE_KAFKA_SECRETS_DIR": str(self.kafka.secrets),
            "TASKFORCE_JWT_SECRET": self.jwt_secret,
            "TASKFORCE_NOTIFICATIONS_ALLOWED_HOSTS": f'["127.0.0.1:{self.receiver_port}"]',
            **self._database_env(),
        }

    def _database_env(self) -> dict[str, str]:
        if self.postgres is None:
            return {}
        return {
            "DATABASE_URL": self.postgres.url("taskforce_{service}"),
            **self.postgres.client_environment(),
        }

    def settings(self) -> PlatformSettings:
        return PlatformSettings(
            var_dir=self.var_dir,
            kafka_bootstrap_servers=self.kafka.bootstrap,
            kafka_security_protocol="SASL_PLAINTEXT",
            kafka_secrets_dir=self.kafka.secrets,
            jwt_secret=self.jwt_secret,
        )

    def admin_credentials(self) -> Credentials:
        """The super user's, written when the bench broker's storage was formatted."""
        return load_credentials(self.kafka.secrets, ADMIN)

    def urls(self, service: str) -> list[str]:
        """The base URL of each replica of ``service``."""
        return [self.supervisor.base_url(name) for name in self.supervisor.names_of(service)]

    def start_kafka(self) -> None:
        """A fresh broker: the previous run's data and logs are removed first.

        The secrets directory stays: the admin password in it is given to the
        freshly formatted storage, the services' ones to provisioning.
        """
        if self.kafka.pid() is not None:
            self.kafka.stop()
        for stale in (self.kafka.home, self.var_dir):
            shutil.rmtree(stale, ignore_errors=True)
        self._kafka_started = True  # set first: an interrupt during start still stops it
        self.kafka.start()

    def start_database(self) -> None:
        """On PostgreSQL: a fresh server (the previous run's data removed), one database each."""
        if self.postgres is None:
            return
        if self.postgres.pid() is not None:
            self.postgres.stop()
        shutil.rmtree(self.postgres.home, ignore_errors=True)
        self.postgres.start()
        for service in SERVICE_PORTS:
            self.postgres.create_database(f"taskforce_{service}")

    def start_services(self, timeout: float = 120.0) -> None:
        os.environ.update(self.env)  # for PlatformSettings() read in this process too
        self.supervisor.start_all()
        self.supervisor.wait_all_ready(timeout)

    def stop(self) -> None:
        """Services first (they drain), then the broker and the database; safe to call twice."""
        self.supervisor.stop_all(timeout=20)
        if self._kafka_started:
            self.kafka.stop()
            self._kafka_started = False
        if self.postgres is not None and self.postgres.pid() is not None:
            self.postgres.stop()
