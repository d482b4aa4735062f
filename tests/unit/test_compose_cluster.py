"""The compose file's ``cluster`` profile, read without Docker: three nodes secured like ``kafka``.

Each node's start script is run with stand-ins for Kafka's scripts (as
``tests/ops/test_compose.py`` runs the single broker's), so what is checked is the
``server.properties`` a node would start with, not only the variables it is given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.ops.test_compose import (
    StartRun,
    environment_of,
    load_compose,
    properties,
    published,
    services_of,
)

NODES = ("kafka-1", "kafka-2", "kafka-3")
#: What a node sets differently from the single broker: identity, quorum, replication.
CLUSTER_VARIABLES = {
    "CLUSTER_ID",
    "KAFKA_NODE_ID",
    "KAFKA_LISTENERS",
    "KAFKA_ADVERTISED_LISTENERS",
    "KAFKA_CONTROLLER_QUORUM_VOTERS",
    "KAFKA_DEFAULT_REPLICATION_FACTOR",
    "KAFKA_MIN_INSYNC_REPLICAS",
    "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
    "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
    "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
    "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR",
    "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR",
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose()


def node_run(compose: dict[str, Any], node: str, root: Path) -> StartRun:
    """A start of ``node`` with the stand-ins: the single broker's harness, given the node."""
    services = services_of(compose)
    as_kafka = {**compose, "services": {**services, "kafka": services[node]}}
    run = StartRun(as_kafka, root)
    result = run.run()
    assert result.returncode == 0, result.stderr
    return run


def test_the_nodes_run_only_with_the_cluster_profile(compose: dict[str, Any]) -> None:
    services = services_of(compose)
    for node in NODES:
        assert services[node]["profiles"] == ["cluster"]
    assert "profiles" not in services["kafka"]
    for name in ("kafka-1", "kafka-2", "kafka-3"):
        assert services["provision"]["depends_on"][name] == {
            "condition": "service_healthy",
            "required": False,
        }


def test_a_node_is_secured_like_the_single_broker(compose: dict[str, Any]) -> None:
    single = environment_of(compose, "kafka")
    for node in NODES:
        environment = environment_of(compose, node)
        assert set(environment) == set(single)
        same = set(single) - CLUSTER_VARIABLES
        assert {k: environment[k] for k in same} == {k: single[k] for k in same}, node
        kafka, service = services_of(compose)["kafka"], services_of(compose)[node]
        for key in ("image", "entrypoint", "command"):
            assert service[key] == kafka[key], (node, key)
        # The healthcheck logs in as the single broker's does, on the node itself.
        test, single_test = service["healthcheck"]["test"], kafka["healthcheck"]["test"]
        assert test[:3] == single_test[:3] and test[4:] == single_test[4:]
        assert test[3] == "localhost:9092"


def test_the_nodes_form_one_cluster_of_three(compose: dict[str, Any]) -> None:
    environments = [environment_of(compose, node) for node in NODES]
    assert [e["KAFKA_NODE_ID"] for e in environments] == ["1", "2", "3"]
    assert len({e["CLUSTER_ID"] for e in environments}) == 1
    assert environments[0]["CLUSTER_ID"] != environment_of(compose, "kafka")["CLUSTER_ID"]
    voters = {e["KAFKA_CONTROLLER_QUORUM_VOTERS"] for e in environments}
    assert voters == {"1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093"}
    volumes = [services_of(compose)[node]["volumes"][0].split(":")[0] for node in NODES]
    assert len(set(volumes)) == 3 and set(volumes) <= set(compose["volumes"])
    host_ports = set()
    for node in NODES:
        (mapping,) = services_of(compose)[node]["ports"]
        host_ip, target = published(mapping)
        assert host_ip == "127.0.0.1" and target == "29092"
        host_ports.add(str(mapping).split(":")[1])
        advertised = environment_of(compose, node)["KAFKA_ADVERTISED_LISTENERS"]
        assert f"CLIENT://{node}:9092" in advertised
        assert f"HOST://localhost:{str(mapping).split(':')[1]}" in advertised
    assert host_ports == {"9192", "9194", "9196"}


@pytest.mark.parametrize("node", NODES)
def test_a_node_starts_with_replication_of_two_of_three_and_every_listener_secured(
    compose: dict[str, Any], node: str, tmp_path: Path
) -> None:
    run = node_run(compose, node, tmp_path)
    config = Path(run.recorded("kafka-server-start.sh.args").splitlines()[0])
    written = properties(config.read_text())
    assert written["node.id"] == node.rpartition("-")[2]
    assert written["controller.quorum.voters"] == "1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093"
    for key in (
        "default.replication.factor",
        "offsets.topic.replication.factor",
        "transaction.state.log.replication.factor",
        "share.coordinator.state.topic.replication.factor",
    ):
        assert written[key] == "3", key
    for key in (
        "min.insync.replicas",
        "transaction.state.log.min.isr",
        "share.coordinator.state.topic.min.isr",
    ):
        assert written[key] == "2", key
    assert written["authorizer.class.name"].endswith(".StandardAuthorizer")
    assert written["super.users"] == "User:admin;User:broker;User:controller"
    for name in ("client", "host"):
        assert f"listener.name.{name}.scram-sha-512.sasl.jaas.config" in written
    assert "listener.name.controller.plain.sasl.jaas.config" in written
    storage = run.recorded("kafka-storage.sh.args").splitlines()
    assert storage[storage.index("--cluster-id") + 1] == environment_of(compose, node)["CLUSTER_ID"]
    assert "--standalone" not in storage
