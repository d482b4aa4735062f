"""What a cluster node's ``server.properties`` is made of, without starting Java.

A node is the single broker's template with a cluster's keys set in place: these
tests hold that every other line (the listeners' security, the authorizer, the
super users) stays the single broker's, that the single broker's own file is what
it always was, and that ports, quorum and formatting fit three nodes.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shared.cli.kafka import app
from shared.kafka_cluster import LocalKafkaCluster
from shared.kafka_local import DEPLOY_DIR, KafkaSetupError, LocalKafka, with_overrides

runner = CliRunner()

#: The keys a node sets in place of the single broker's.
CLUSTER_KEYS = {
    "node.id": None,
    "controller.quorum.voters": None,
    "default.replication.factor": "3",
    "min.insync.replicas": "2",
    "offsets.topic.replication.factor": "3",
    "transaction.state.log.replication.factor": "3",
    "transaction.state.log.min.isr": "2",
    "share.coordinator.state.topic.replication.factor": "3",
    "share.coordinator.state.topic.min.isr": "2",
}
#: What differs per node: its ports and its data directory.
PER_NODE_KEYS = {
    "listeners",
    "advertised.listeners",
    "controller.quorum.bootstrap.servers",
    "log.dirs",
}


def properties(text: str) -> dict[str, str]:
    """Key to value; a key written twice fails, since Kafka would take only one."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            assert key not in found, f"{key} is set twice"
            found[key] = value
    return found


@pytest.fixture
def cluster(tmp_path: Path) -> LocalKafkaCluster:
    return LocalKafkaCluster(home=tmp_path / "kafka", secrets_dir=tmp_path / "secrets")


def written(node: LocalKafka) -> dict[str, str]:
    node.write_properties()
    return properties(node.properties.read_text())


def test_the_single_broker_file_is_the_template_filled_in(tmp_path: Path) -> None:
    single = LocalKafka(home=tmp_path / "kafka", secrets_dir=tmp_path / "secrets")
    single.write_properties()
    text = single.properties.read_text()
    template = (DEPLOY_DIR / "server.properties").read_text()
    lines, template_lines = text.rstrip("\n").splitlines(), template.rstrip("\n").splitlines()
    assert len(lines) == len(template_lines)
    for line, template_line in zip(lines, template_lines, strict=True):
        if "${" not in template_line:
            assert line == template_line
    found = properties(text)
    assert set(found) == set(properties(template))
    assert found["node.id"] == "1"
    assert found["controller.quorum.bootstrap.servers"] == "127.0.0.1:9093"
    assert "controller.quorum.voters" not in found
    assert not single.static_quorum
    assert not [value for value in found.values() if "${" in value]


def test_a_node_keeps_every_line_of_the_single_broker_but_the_cluster_keys(
    cluster: LocalKafkaCluster, tmp_path: Path
) -> None:
    single = written(LocalKafka(home=tmp_path / "single", secrets_dir=cluster.secrets))
    for n in cluster.numbers:
        node = written(cluster.node(n))
        unchanged = set(single) - set(CLUSTER_KEYS) - PER_NODE_KEYS
        assert {key: node[key] for key in unchanged} == {key: single[key] for key in unchanged}
        assert set(node) == (set(single) - {"controller.quorum.bootstrap.servers"}) | {
            "controller.quorum.voters"
        }
        for key, value in CLUSTER_KEYS.items():
            if value is not None:
                assert node[key] == value, key
        assert node["node.id"] == str(n)
        assert node["controller.quorum.voters"] == (
            "1@127.0.0.1:9093,2@127.0.0.1:9095,3@127.0.0.1:9097"
        )
        client, controller = cluster.ports_of(n)
        assert (
            node["listeners"] == f"CLIENT://127.0.0.1:{client},CONTROLLER://127.0.0.1:{controller}"
        )
        assert node["advertised.listeners"] == f"CLIENT://127.0.0.1:{client}"


def test_security_is_the_single_broker_s(cluster: LocalKafkaCluster) -> None:
    node = written(cluster.node(2))
    assert node["authorizer.class.name"].endswith(".StandardAuthorizer")
    assert node["allow.everyone.if.no.acl.found"] == "false"
    assert node["super.users"] == "User:admin;User:broker;User:controller"
    assert node["inter.broker.listener.name"] == "CLIENT"
    assert (
        node["listener.security.protocol.map"] == "CONTROLLER:SASL_PLAINTEXT,CLIENT:SASL_PLAINTEXT"
    )
    assert node["sasl.mechanism.inter.broker.protocol"] == "SCRAM-SHA-512"
    assert 'username="broker"' in node["listener.name.client.scram-sha-512.sasl.jaas.config"]
    assert (cluster.node(2).properties.stat().st_mode & 0o077) == 0


def test_ports_nodes_and_bootstrap(cluster: LocalKafkaCluster) -> None:
    assert [cluster.ports_of(n) for n in cluster.numbers] == [
        (9092, 9093),
        (9094, 9095),
        (9096, 9097),
    ]
    assert cluster.bootstrap == "127.0.0.1:9092,127.0.0.1:9094,127.0.0.1:9096"
    assert [node.home.name for node in cluster.nodes] == ["node-1", "node-2", "node-3"]
    assert {node.secrets for node in cluster.nodes} == {cluster.secrets}
    assert all(node.static_quorum for node in cluster.nodes)
    with pytest.raises(ValueError):
        cluster.node(4)


def test_overlapping_ports_and_even_sizes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(KafkaSetupError, match="overlap"):
        LocalKafkaCluster(home=tmp_path, broker_port=9092, controller_port=9094).check_ports()
    for size in (1, 2, 4):
        with pytest.raises(KafkaSetupError, match="quorum"):
            LocalKafkaCluster(home=tmp_path, size=size)


def test_nodes_format_with_one_cluster_id_and_no_standalone_voter(
    cluster: LocalKafkaCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, ...]] = []

    def java(self: LocalKafka, main: str, *args: str) -> str:
        calls.append(args)
        return "made-by-random-uuid\n"

    monkeypatch.setattr(LocalKafka, "_java", java)
    cluster_id = cluster.cluster_id()
    assert cluster_id == "made-by-random-uuid"
    assert cluster.cluster_id() == cluster_id  # kept, not made again
    for n in cluster.numbers:
        node = cluster.node(n, cluster_id)
        node.write_properties()
        node.format_storage()
    formats = [args for args in calls if args[0] == "format"]
    assert len(formats) == 3
    assert all(args[args.index("-t") + 1] == cluster_id for args in formats)
    assert not any("--standalone" in args for args in formats)
    single = LocalKafka(home=cluster.home / "single", secrets_dir=cluster.secrets)
    single.write_properties()
    single.format_storage()
    assert "--standalone" in calls[-1]


def test_nodes_formatted_side_by_side_share_one_admin_password(
    cluster: LocalKafkaCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cluster writes every node's properties in turn, then formats them at once."""
    scram: list[str] = []

    def java(self: LocalKafka, main: str, *args: str) -> str:
        time.sleep(0.05)  # a JVM start: the three formats overlap
        for arg in args:  # the passwords come in an @file, off the command line
            lines = Path(arg[1:]).read_text().splitlines() if arg.startswith("@") else [arg]
            scram.extend(line for line in lines if "name=admin" in line)
        return "made-by-random-uuid\n"

    monkeypatch.setattr(LocalKafka, "_java", java)
    nodes = [cluster.node(n, cluster.cluster_id()) for n in cluster.numbers]
    for node in nodes:
        node.write_properties()
    assert (cluster.secrets / "admin.password").exists(), "made before the formats start"
    with ThreadPoolExecutor(max_workers=len(nodes)) as pool:
        list(pool.map(lambda node: node.format_storage(), nodes))
    assert len(scram) == 3 and len(set(scram)) == 1


def test_overrides_replace_leave_out_and_keep_comments() -> None:
    text = "# a comment\na=1\nb=2\nc=3\n"
    assert with_overrides(text, ()) == text
    changed = with_overrides(text, (("b", "20"), ("c", None), ("d", "4")))
    assert properties(changed) == {"a": "1", "b": "20", "d": "4"}
    assert changed.startswith("# a comment\na=1\n")


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TASKFORCE_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("TASKFORCE_KAFKA_PORT", "1")
    monkeypatch.setenv("TASKFORCE_KAFKA_CONTROLLER_PORT", "2")
    return tmp_path


def test_cli_refuses_a_cluster_without_a_quorum_of_three(isolated: Path) -> None:
    result = runner.invoke(app, ["start", "--brokers", "2"])
    assert result.exit_code == 1
    assert "cannot keep a quorum" in result.output
    assert "Traceback" not in result.output


def test_cli_status_and_stop_know_a_stopped_cluster(isolated: Path) -> None:
    (isolated / "kafka" / "node-1").mkdir(parents=True)
    status = runner.invoke(app, ["status"])
    assert status.exit_code == 0
    assert "Kafka: stopped" in status.output
    assert f"Kafka cluster: stopped ({isolated / 'kafka'}/node-<n>)" in status.output
    stop = runner.invoke(app, ["stop"])
    assert stop.exit_code == 0
    assert "not running" in stop.output
