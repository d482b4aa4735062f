"""A real Apache Kafka broker for local runs and tests, gathered from Maven Central.

There is no tarball and no Docker here: Maven fetches the pinned jars listed in
``deploy/kafka/pom.xml`` once, KRaft storage is formatted once, and one combined
broker+controller runs as a detached Java process with its data and logs under
``var/kafka``. Every operation is idempotent so ``make up`` and the test suite
can both call ``start()`` without caring whether a broker is already there.

The broker is secured from its first start: SASL/SCRAM-SHA-512 on the client
listener (``SASL_PLAINTEXT``, or ``SASL_SSL`` with a local CA), PLAIN on the
loopback controller listener, ``StandardAuthorizer`` with nothing allowed unless
an ACL says so. The ``admin`` and ``broker`` SCRAM users are created when the
storage is formatted; everyone else comes from ``taskforce kafka provision``.
Passwords live owner-only in the secrets directory (``var/secrets/kafka``) and
reach the Java tools through files, never their command line.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from shared.kafka.principals import ADMIN, BROKER, CONTROLLER
from shared.kafka.security import ensure_credentials, write_secret
from shared.kafka.tls import ensure_local_ca

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEPLOY_DIR = PROJECT_ROOT / "deploy" / "kafka"
#: Written when the storage was formatted with the SCRAM users of this scheme.
SECURED_STAMP = "secured-v1"


JAVA_HINT = "Java 17 or later runs the Kafka broker (apt-get install openjdk-17-jre-headless)."


class KafkaSetupError(RuntimeError):
    """Something outside the project is missing or in the way; the message says what."""


@dataclass(frozen=True)
class LocalKafka:
    """Paths and ports of the project's local broker."""

    home: Path
    broker_port: int = 9092
    controller_port: int = 9093
    heap: str = "-Xms256m -Xmx512m"
    #: The jars are the same for every broker of this checkout: fetched once, shared.
    libs_dir: Path | None = None
    #: ``SASL_PLAINTEXT`` or ``SASL_SSL`` on the client listener.
    security_protocol: str = "SASL_PLAINTEXT"
    #: Passwords and certificates; default ``<home>/../secrets/kafka`` (``var/secrets/kafka``).
    secrets_dir: Path | None = None
    #: Properties set in place of the template's (None: left out), for a node of a cluster
    #: (``shared.kafka_cluster``); the single broker has none.
    overrides: tuple[tuple[str, str | None], ...] = ()
    #: The cluster id to format with, shared by the nodes of a cluster; default a new one.
    cluster_id: str | None = None

    @classmethod
    def from_env(cls) -> LocalKafka:
        var = Path(os.environ.get("TASKFORCE_VAR_DIR", PROJECT_ROOT / "var"))
        secrets = os.environ.get("TASKFORCE_KAFKA_SECRETS_DIR")
        return cls(
            home=var / "kafka",
            broker_port=int(os.environ.get("TASKFORCE_KAFKA_PORT", "9092")),
            controller_port=int(os.environ.get("TASKFORCE_KAFKA_CONTROLLER_PORT", "9093")),
            heap=os.environ.get("KAFKA_HEAP_OPTS", "-Xms256m -Xmx512m"),
            security_protocol=os.environ.get("TASKFORCE_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT"),
            secrets_dir=Path(secrets) if secrets else None,
        )

    # -- paths ---------------------------------------------------------------
    @property
    def libs(self) -> Path:
        if self.libs_dir is not None:
            return self.libs_dir
        var = Path(os.environ.get("TASKFORCE_VAR_DIR", PROJECT_ROOT / "var"))
        return var / "kafka" / "libs"

    @property
    def data(self) -> Path:
        return self.home / "data"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def pidfile(self) -> Path:
        return self.home / "kafka.pid"

    @property
    def properties(self) -> Path:
        return self.home / "server.properties"

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.broker_port}"

    @property
    def secrets(self) -> Path:
        return self.secrets_dir or self.home.parent / "secrets" / "kafka"

    # -- steps ---------------------------------------------------------------
    def fetch(self) -> bool:
        """Copy the pinned jars into ``libs``; skipped when the pom is unchanged."""
        pom = DEPLOY_DIR / "pom.xml"
        stamp = self.libs / ".pom-sha256"
        digest = hashlib.sha256(pom.read_bytes()).hexdigest()
        if (
            stamp.exists()
            and stamp.read_text() == digest
            and any(self.libs.glob("kafka_2.13-*.jar"))
        ):
            return False
        _require("java", JAVA_HINT)
        _require(
            "mvn", "Maven is needed once to fetch Kafka from Maven Central (apt-get install maven)."
        )
        if self.libs.exists():
            shutil.rmtree(self.libs)
        self.libs.mkdir(parents=True)
        cmd = [
            "mvn",
            "-q",
            "-B",
            "-f",
            str(pom),
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={self.libs}",
        ]
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise KafkaSetupError(f"Maven could not fetch Kafka:\n{result.stdout}\n{result.stderr}")
        stamp.write_text(digest)
        return True

    def write_properties(self) -> None:
        if self.security_protocol not in ("SASL_PLAINTEXT", "SASL_SSL"):
            raise KafkaSetupError(
                f"TASKFORCE_KAFKA_SECURITY_PROTOCOL={self.security_protocol}: the broker "
                "takes SASL_PLAINTEXT or SASL_SSL (no unauthenticated listener)"
            )
        broker, _ = ensure_credentials(self.secrets, BROKER)
        controller, _ = ensure_credentials(self.secrets, CONTROLLER)
        # Made here, not only when formatting: a cluster formats its nodes side by side, and
        # each would otherwise make an admin password of its own.
        ensure_credentials(self.secrets, ADMIN)
        template = (DEPLOY_DIR / "server.properties").read_text()
        text = (
            template.replace("${DATA_DIR}", str(self.data))
            .replace("${BROKER_PORT}", str(self.broker_port))
            .replace("${CONTROLLER_PORT}", str(self.controller_port))
            .replace("${CLIENT_PROTOCOL}", self.security_protocol)
            .replace("${BROKER_PASSWORD}", broker.password.get_secret_value())
            .replace("${CONTROLLER_PASSWORD}", controller.password.get_secret_value())
        )
        text = with_overrides(text, self.overrides)
        ensure_local_ca(self.secrets)
        if self.security_protocol == "SASL_SSL":
            text += (
                "\n# TLS on the client listener, with the certificate of the local CA. The\n"
                "# broker is a client of that listener too (inter-broker), so it trusts the CA.\n"
                "listener.name.client.ssl.keystore.type=PEM\n"
                f"listener.name.client.ssl.keystore.location={self.secrets / 'broker.pem'}\n"
                "listener.name.client.ssl.truststore.type=PEM\n"
                f"listener.name.client.ssl.truststore.location={self.secrets / 'ca.crt'}\n"
            )
        self.home.mkdir(parents=True, exist_ok=True)
        write_secret(self.properties, text)

    def format_storage(self) -> str | None:
        """Format KRaft storage once, with the admin and broker SCRAM users.

        A directory formatted before the broker was secured (or whose admin
        password is gone) cannot be given its users afterwards without an open
        door, so it is moved aside and formatted anew. Returns what was done.
        """
        stamp = self.home / SECURED_STAMP
        admin_password = self.secrets / f"{ADMIN}.password"
        if (self.data / "meta.properties").exists():
            if stamp.exists() and admin_password.exists():
                return None
            aside = self.home / f"data.unsecured-{time.strftime('%Y%m%d%H%M%S')}"
            self.data.rename(aside)
            moved = f"earlier unsecured broker data moved to {aside}; "
        else:
            moved = ""
        admin, _ = ensure_credentials(self.secrets, ADMIN)
        broker, _ = ensure_credentials(self.secrets, BROKER)
        cluster_id = self.cluster_id or self.new_cluster_id()
        # The Java launcher expands @file arguments: the passwords stay off the command line.
        arguments = self.home / ".format-arguments"
        write_secret(
            arguments,
            "\n".join(
                f"--add-scram\nSCRAM-SHA-512=[name={c.username},password={c.password.get_secret_value()}]"
                for c in (admin, broker)
            ),
        )
        try:
            self._java(
                "kafka.tools.StorageTool",
                "format",
                "-t",
                cluster_id,
                "-c",
                str(self.properties),
                # A static quorum (a cluster's voters) is formatted without a bootstrap voter.
                *(() if self.static_quorum else ("--standalone",)),
                "--ignore-formatted",
                f"@{arguments}",
            )
        finally:
            arguments.unlink(missing_ok=True)
        stamp.write_text("SCRAM-SHA-512 users admin, broker; controller listener PLAIN\n")
        return moved + "storage formatted with SCRAM users"

    def new_cluster_id(self) -> str:
        return self._java("kafka.tools.StorageTool", "random-uuid").strip().splitlines()[-1]

    @property
    def static_quorum(self) -> bool:
        return any(key == "controller.quorum.voters" and v for key, v in self.overrides)

    def pid(self) -> int | None:
        """The broker's pid if our broker process is alive."""
        try:
            pid = int(self.pidfile.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return pid
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except FileNotFoundError:
            return None
        return pid if b"kafka.Kafka" in cmdline else None

    def answering(self) -> bool:
        return _port_open(self.broker_port)

    def start(self, timeout: float = 90.0) -> str:
        """Start the broker unless one already answers; return what happened."""
        if self.answering():
            owner = "ours" if self.pid() else "another process's"
            return f"Kafka already answering on {self.bootstrap} ({owner})"
        self.check_ports_free()
        process, formatted = self.launch()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ready(process):
                note = f"; {formatted}" if formatted else ""
                return (
                    f"Kafka started on {self.bootstrap} (pid {process.pid}, "
                    f"{self.security_protocol}, ACLs on{note})"
                )
            time.sleep(0.25)
        raise KafkaSetupError(f"Kafka did not answer within {timeout:.0f}s; see {self.logs}")

    def check_ports_free(self) -> None:
        for port in (self.broker_port, self.controller_port):
            if _port_open(port):
                raise KafkaSetupError(
                    f"Port {port} is taken by another program; stop it or set "
                    "TASKFORCE_KAFKA_PORT / TASKFORCE_KAFKA_CONTROLLER_PORT."
                )

    def launch(self) -> tuple[subprocess.Popen[bytes], str | None]:
        """Configure, format if needed and spawn the broker without waiting for it.

        A node of a cluster cannot finish starting alone (it waits for a controller
        quorum), so the cluster launches every node first and then waits for them.
        Returns the process and what formatting did.
        """
        _require("java", JAVA_HINT)
        self.fetch()
        self.write_properties()
        formatted = self.format_storage()
        self.logs.mkdir(parents=True, exist_ok=True)
        with (self.logs / "kafka.out").open("ab") as out:
            process = subprocess.Popen(
                [*self._java_cmd(), "kafka.Kafka", str(self.properties)],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.pidfile.write_text(str(process.pid))
        return process, formatted

    def ready(self, process: subprocess.Popen[bytes]) -> bool:
        """True once the launched broker answers and logged its start; raises if it died."""
        if process.poll() is not None:
            raise KafkaSetupError(
                f"Kafka exited with {process.returncode}; see {self.logs / 'kafka.out'} "
                f"and {self.logs / 'server.log'}"
            )
        return self.answering() and self._started_logged()

    def stop(self, timeout: float = 30.0) -> str:
        pid = self.pid()
        if pid is None:
            self.pidfile.unlink(missing_ok=True)
            return "Kafka is not running (no broker of ours)"
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.pid() is not None:
            time.sleep(0.2)
        if self.pid() is not None:
            os.kill(pid, signal.SIGKILL)
            while self.pid() is not None:
                time.sleep(0.1)
        self.pidfile.unlink(missing_ok=True)
        return f"Kafka stopped (pid {pid})"

    def kill(self) -> None:
        """SIGKILL the broker: for tests that prove nothing is lost when it dies."""
        pid = self.pid()
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
            while self.pid() is not None:
                time.sleep(0.05)

    def status(self) -> str:
        pid = self.pid()
        if pid and self.answering():
            return f"running: pid {pid}, {self.bootstrap}"
        if self.answering():
            return f"answering on {self.bootstrap}, not started by this project"
        if pid:
            return f"starting or stuck: pid {pid} does not answer on {self.bootstrap}"
        return "stopped"

    # -- helpers -------------------------------------------------------------
    def _started_logged(self) -> bool:
        log = self.logs / "server.log"
        try:
            with log.open("rb") as fh:
                fh.seek(max(0, log.stat().st_size - 256_000))
                tail = fh.read()
        except FileNotFoundError:
            return False
        # The last start must have logged it: compare against the last "starting" line.
        return tail.rfind(b"Kafka Server started") > tail.rfind(b"starting (kafka.server")

    def _java_cmd(self) -> list[str]:
        return [
            "java",
            *self.heap.split(),
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={DEPLOY_DIR / 'log4j2.yaml'}",
            f"-Dkafka.logs.dir={self.logs}",
            "-cp",
            f"{self.libs}/*",
        ]

    def _java(self, main: str, *args: str) -> str:
        self.logs.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            [*self._java_cmd(), main, *args], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise KafkaSetupError(
                f"{main} {' '.join(args)} failed:\n{result.stdout}{result.stderr}"
            )
        return result.stdout


def with_overrides(text: str, overrides: Iterable[tuple[str, str | None]]) -> str:
    """``text`` (a properties file) with each overridden key's line replaced or left out.

    The values set come last, under a heading, so the file still reads top to bottom
    and every key appears once.
    """
    changed = dict(overrides)
    if not changed:
        return text
    kept = [
        line
        for line in text.splitlines()
        if line.startswith("#") or line.partition("=")[0].strip() not in changed
    ]
    set_here = [f"{key}={value}" for key, value in changed.items() if value is not None]
    heading = "# Set for this node of a cluster (shared.kafka_cluster), in place of the above."
    return "\n".join([*kept, "", heading, *set_here])


def _require(tool: str, hint: str) -> None:
    if shutil.which(tool) is None:
        raise KafkaSetupError(f"'{tool}' was not found on PATH. {hint}")


def _port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0
