"""A local three-node KRaft cluster (``taskforce kafka start --brokers 3``), from the same jars.

One broker cannot show what replication buys: a record acknowledged with
``acks=all`` surviving the loss of a broker, a broker that comes back catching up.
This cluster can. Each node is a ``LocalKafka`` (one combined broker+controller,
its own ``node-<n>`` directory with data, logs and pid file) whose
``server.properties`` is the single broker's template with only the keys a
cluster needs replaced: so its security (SCRAM on the client and inter-broker
listener, PLAIN on the controller listener, ``StandardAuthorizer``, the super
users) is the single broker's by construction. The three controllers form a
static quorum (``controller.quorum.voters``); every node is formatted with the
same cluster id and the same SCRAM users, whose passwords are the single
broker's (``var/secrets/kafka``), so clients and provisioning log in alike.

Ports: node ``n`` listens for clients on ``broker_port + 2(n-1)`` and for its
controller on ``controller_port + 2(n-1)``: by default 9092/9094/9096 and
9093/9095/9097. Node 1 takes the single broker's ports, so only one of the two
runs at a time, and anything that bootstraps from 127.0.0.1:9092 finds either.
"""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from shared.kafka_local import KafkaSetupError, LocalKafka

#: What a record needs to be acknowledged with ``acks=all``: written to two of three.
REPLICATION_FACTOR = 3
MIN_INSYNC_REPLICAS = 2


def replication_overrides(replicas: int, min_insync: int) -> tuple[tuple[str, str], ...]:
    """The broker defaults and internal topics of a cluster, replicated like the domain's."""
    factor, isr = str(replicas), str(min_insync)
    return (
        ("default.replication.factor", factor),
        ("min.insync.replicas", isr),
        ("offsets.topic.replication.factor", factor),
        ("transaction.state.log.replication.factor", factor),
        ("transaction.state.log.min.isr", isr),
        ("share.coordinator.state.topic.replication.factor", factor),
        ("share.coordinator.state.topic.min.isr", isr),
    )


@dataclass(frozen=True)
class LocalKafkaCluster:
    """Paths and ports of a local cluster of ``size`` combined broker+controller nodes."""

    home: Path
    size: int = 3
    broker_port: int = 9092
    controller_port: int = 9093
    heap: str = "-Xms256m -Xmx512m"
    libs_dir: Path | None = None
    security_protocol: str = "SASL_PLAINTEXT"
    #: Default ``<home>/../secrets/kafka``: the single broker's passwords.
    secrets_dir: Path | None = None

    def __post_init__(self) -> None:
        if self.size < REPLICATION_FACTOR or self.size % 2 == 0:
            raise KafkaSetupError(
                f"A cluster of {self.size} nodes cannot keep a quorum and replicate "
                f"{REPLICATION_FACTOR} times; take 3 (or 5, 7 ...)"
            )

    @classmethod
    def from_env(cls, size: int = 3) -> LocalKafkaCluster:
        """The cluster of this checkout, from the variables the single broker reads."""
        single = LocalKafka.from_env()
        return cls(
            home=single.home,
            size=size,
            broker_port=single.broker_port,
            controller_port=single.controller_port,
            heap=single.heap,
            security_protocol=single.security_protocol,
            secrets_dir=single.secrets,
        )

    @property
    def numbers(self) -> range:
        return range(1, self.size + 1)

    def ports_of(self, n: int) -> tuple[int, int]:
        """Client and controller port of node ``n`` (1-based)."""
        return self.broker_port + 2 * (n - 1), self.controller_port + 2 * (n - 1)

    @property
    def secrets(self) -> Path:
        return self.secrets_dir or self.home.parent / "secrets" / "kafka"

    @property
    def cluster_id_file(self) -> Path:
        return self.home / "cluster-id"

    @property
    def voters(self) -> str:
        return ",".join(f"{n}@127.0.0.1:{self.ports_of(n)[1]}" for n in self.numbers)

    @property
    def bootstrap(self) -> str:
        return ",".join(self.node(n).bootstrap for n in self.numbers)

    def node(self, n: int, cluster_id: str | None = None) -> LocalKafka:
        """Node ``n``: the single broker's configuration with a cluster's keys in place."""
        if n not in self.numbers:
            raise ValueError(f"the cluster has nodes 1 to {self.size}, not {n}")
        broker_port, controller_port = self.ports_of(n)
        overrides: tuple[tuple[str, str | None], ...] = (
            ("node.id", str(n)),
            ("controller.quorum.bootstrap.servers", None),
            ("controller.quorum.voters", self.voters),
            *replication_overrides(REPLICATION_FACTOR, MIN_INSYNC_REPLICAS),
        )
        return LocalKafka(
            home=self.home / f"node-{n}",
            broker_port=broker_port,
            controller_port=controller_port,
            heap=self.heap,
            libs_dir=self.libs_dir,
            security_protocol=self.security_protocol,
            secrets_dir=self.secrets,
            overrides=overrides,
            cluster_id=cluster_id,
        )

    @property
    def nodes(self) -> list[LocalKafka]:
        return [self.node(n) for n in self.numbers]

    def exists(self) -> bool:
        """True once the cluster was started here (its nodes' directories are there)."""
        return any(node.home.exists() for node in self.nodes)

    def running(self) -> list[int]:
        """The numbers of the nodes whose broker process of ours is alive."""
        return [n for n in self.numbers if self.node(n).pid() is not None]

    # -- steps ---------------------------------------------------------------
    def cluster_id(self) -> str:
        """The one id every node is formatted with: made once, kept beside the nodes."""
        try:
            return self.cluster_id_file.read_text().strip()
        except FileNotFoundError:
            pass
        made = self.node(1).new_cluster_id()
        self.home.mkdir(parents=True, exist_ok=True)
        self.cluster_id_file.write_text(made + "\n")
        return made

    def start(self, timeout: float = 120.0) -> str:
        """Start every node not already running, then wait until all of them have started."""
        if len(self.running()) == self.size and all(n.answering() for n in self.nodes):
            return f"Kafka cluster already running on {self.bootstrap}"
        return self._start(list(self.numbers), timeout)

    def start_node(self, n: int, timeout: float = 90.0) -> str:
        """Start one node again (after ``kill_node``); the others must be running."""
        return self._start([n], timeout)

    def check_ports(self) -> None:
        """Refuse ports on which two nodes' listeners would meet."""
        ports = [port for n in self.numbers for port in self.ports_of(n)]
        if len(set(ports)) != len(ports):
            raise KafkaSetupError(
                f"Client ports from {self.broker_port} and controller ports from "
                f"{self.controller_port}, two apart each, overlap: choose ports of opposite parity"
            )

    def _start(self, numbers: list[int], timeout: float) -> str:
        self.check_ports()
        cluster_id = self.cluster_id()
        nodes = {n: self.node(n, cluster_id) for n in numbers}
        to_start = {n: node for n, node in nodes.items() if node.pid() is None}
        for node in to_start.values():
            node.check_ports_free()
            # Once, one node after the other: the jars and the passwords every node shares.
            node.fetch()
            node.write_properties()
        # Formatting is a JVM start per node: side by side, it takes one's time, not three.
        with ThreadPoolExecutor(max_workers=len(to_start) or 1) as pool:
            futures = {n: pool.submit(node.launch) for n, node in to_start.items()}
            launched = {n: future.result() for n, future in futures.items()}
        deadline = time.monotonic() + timeout
        waiting = dict(launched)
        while waiting and time.monotonic() < deadline:
            for n, (process, _) in list(waiting.items()):
                if nodes[n].ready(process):
                    del waiting[n]
            time.sleep(0.25)
        if waiting:
            names = ", ".join(f"node {n} ({nodes[n].logs})" for n in waiting)
            raise KafkaSetupError(f"Kafka did not answer within {timeout:.0f}s: {names}")
        notes = sorted({note for _, note in launched.values() if note})
        started = ", ".join(f"{n} (pid {launched[n][0].pid})" for n in launched) or "none"
        return (
            f"Kafka cluster on {self.bootstrap}: node(s) {started} started, "
            f"{self.security_protocol}, ACLs on" + "".join(f"; {note}" for note in notes)
        )

    def stop(self, timeout: float = 60.0) -> str:
        """Stop every node at once: stopped one by one, the last would wait for a lost quorum."""
        pids = {n: pid for n in self.numbers if (pid := self.node(n).pid()) is not None}
        if not pids:
            return "Kafka cluster is not running (no node of ours)"
        for pid in pids.values():
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.running():
            time.sleep(0.2)
        for n in self.running():
            self.node(n).kill()
        for node in self.nodes:
            node.pidfile.unlink(missing_ok=True)
        stopped = ", ".join(f"{n} (pid {pid})" for n, pid in pids.items())
        return f"Kafka cluster stopped: node(s) {stopped}"

    def kill_node(self, n: int) -> None:
        """SIGKILL one node, as a crash would: for tests of what replication keeps."""
        self.node(n).kill()

    def status(self) -> list[str]:
        """One line per node."""
        return [f"node {n}: {self.node(n).status()}" for n in self.numbers]
