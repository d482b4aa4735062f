"""A three-node cluster keeps what ``acks=all`` acknowledged when a broker dies, and heals.

The module starts its own cluster (``LocalKafkaCluster``, three combined
broker+controller nodes from the suite's jars) under the test var dir, on
``TASKFORCE_TEST_CLUSTER_PORT`` and the five ports after it (default 19500, clear
of the suite's broker), provisions it the way ``make up`` provisions one broker but
with RF 3 and ``min.insync.replicas`` 2, and stops it at the end
(``TASKFORCE_TEST_CLUSTER_JAVA_OPTS`` replaces the nodes' heap and JIT options).
Every run starts from empty storage, so a run that was interrupted leaves nothing
the next one trips on.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError
from confluent_kafka import ElectionType
from confluent_kafka import KafkaError as KafkaErrorCode
from confluent_kafka import TopicPartition as ConfluentPartition
from confluent_kafka.admin import AdminClient, PartitionMetadata
from pydantic import SecretStr

from shared.events.catalogue import topic_of
from shared.kafka.principals import ADMIN
from shared.kafka.producer import make_producer
from shared.kafka.provisioning import admin_client, provision
from shared.kafka.security import Credentials, aiokafka_options, confluent_options, credentials_for
from shared.kafka.topics import topic_specs
from shared.kafka_cluster import MIN_INSYNC_REPLICAS, REPLICATION_FACTOR, LocalKafkaCluster
from shared.settings import PlatformSettings
from tests.conftest import suite_broker
from tests.support import TEST_VAR

pytestmark = pytest.mark.kafka

PROGRAMMES = "taskforce.programmes"
TOPIC = topic_of("programmes")
PARTITION = 0


@dataclass(frozen=True)
class Cluster:
    local: LocalKafkaCluster
    settings: PlatformSettings


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    base = int(os.environ.get("TASKFORCE_TEST_CLUSTER_PORT", "19500"))
    home = TEST_VAR / "kafka-cluster"
    local = LocalKafkaCluster(
        home=home,
        broker_port=base,
        controller_port=base + 1,
        # Three JVMs on a small shared machine: C1 only halves their start (LocalKafka
        # passes its ``heap`` to java as options, so the flag rides along).
        heap=os.environ.get(
            "TASKFORCE_TEST_CLUSTER_JAVA_OPTS", "-Xms128m -Xmx384m -XX:TieredStopAtLevel=1"
        ),
        libs_dir=suite_broker().libs,
        secrets_dir=home / "secrets",
    )
    local.stop()
    shutil.rmtree(home, ignore_errors=True)
    try:
        local.start()
        settings = PlatformSettings(
            kafka_bootstrap_servers=local.bootstrap,
            kafka_secrets_dir=local.secrets,
            topic_replication_factor=REPLICATION_FACTOR,
            topic_min_insync_replicas=MIN_INSYNC_REPLICAS,
        )
        asyncio.run(provision(settings))
        yield Cluster(local, settings)
    finally:
        local.stop()


def _admin(settings: PlatformSettings) -> AdminClient:
    options: dict[str, str | int | float | bool] = {
        **confluent_options(settings, credentials_for(settings, ADMIN))
    }
    return AdminClient(options)


def _partition(settings: PlatformSettings, topic: str = TOPIC) -> PartitionMetadata:
    metadata = _admin(settings).list_topics(topic, timeout=10)
    partition: PartitionMetadata = metadata.topics[topic].partitions[PARTITION]
    return partition


def _wait_for(what: str, check: object, timeout: float = 60.0) -> None:
    assert callable(check)
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not within {timeout:.0f}s: {what}"
        time.sleep(0.5)


async def _send(producer: AIOKafkaProducer, values: list[bytes]) -> None:
    for value in values:
        await asyncio.wait_for(
            producer.send_and_wait(TOPIC, value, key=b"cluster-test", partition=PARTITION), 60
        )


async def _read_all(settings: PlatformSettings) -> list[bytes]:
    """Every record of the partition, as admin, up to its end now."""
    consumer = AIOKafkaConsumer(
        **aiokafka_options(settings, credentials_for(settings, ADMIN)), enable_auto_commit=False
    )
    await consumer.start()
    try:
        partition = TopicPartition(TOPIC, PARTITION)
        consumer.assign([partition])
        await consumer.seek_to_beginning(partition)
        end = (await consumer.end_offsets([partition]))[partition]
        values: list[bytes] = []
        while await consumer.position(partition) < end:
            batch = await consumer.getmany(partition, timeout_ms=2000)
            values += [record.value for record in batch.get(partition, []) if record.value]
        return values
    finally:
        await consumer.stop()


async def test_every_topic_is_replicated_three_times_and_needs_two_in_sync(
    cluster: Cluster,
) -> None:
    specs = topic_specs(cluster.settings)
    metadata = _admin(cluster.settings).list_topics(timeout=10)
    for spec in specs:
        partitions = metadata.topics[spec.name].partitions
        assert len(partitions) == spec.partitions, spec.name
        for partition in partitions.values():
            assert sorted(partition.replicas) == [1, 2, 3], (spec.name, partition.id)
            assert sorted(partition.isrs) == [1, 2, 3], (spec.name, partition.id)
    async with admin_client(cluster.settings) as admin:
        configs = await admin.topic_configs(spec.name for spec in specs)
    assert {configs[spec.name]["min.insync.replicas"] for spec in specs} == {"2"}


async def test_a_client_without_or_with_wrong_credentials_is_refused(cluster: Cluster) -> None:
    anonymous = AIOKafkaProducer(bootstrap_servers=cluster.local.bootstrap, request_timeout_ms=5000)
    with pytest.raises(KafkaError):
        await anonymous.start()
    await anonymous.stop()
    wrong = AIOKafkaProducer(
        **aiokafka_options(cluster.settings, Credentials(PROGRAMMES, SecretStr("not-it"))),
        request_timeout_ms=5000,
    )
    with pytest.raises(KafkaError):
        await wrong.start()
    await wrong.stop()


async def test_acks_all_survives_a_killed_node_which_rejoins_and_catches_up(
    cluster: Cluster,
) -> None:
    settings, local = cluster.settings, cluster.local
    # The partition's preferred replica leads it; that node is the one to lose.
    victim = _partition(settings).replicas[0]
    _wait_for("the preferred replica leads", lambda: _partition(settings).leader == victim)
    run = uuid.uuid4().hex
    before = [f"{run}-before-{i}".encode() for i in range(5)]
    during = [f"{run}-during-{i}".encode() for i in range(20)]
    producer = make_producer(settings, "cluster-test", credentials_for(settings, PROGRAMMES))
    await producer.start()
    try:
        await _send(producer, before)
        local.kill_node(victim)
        # Acknowledged by all in-sync replicas: the two left, as min.insync.replicas allows.
        await _send(producer, during)
    finally:
        await producer.stop()
    left = _partition(settings)
    assert left.leader != victim
    assert victim not in left.isrs
    assert len(left.isrs) == MIN_INSYNC_REPLICAS

    local.start_node(victim)
    _wait_for("the restarted node is in sync again", lambda: victim in _partition(settings).isrs)
    # Lead by the node that was down: what it serves now is what it caught up on.
    admin = _admin(settings)  # held: a client collected meanwhile cancels its futures
    election = admin.elect_leaders(ElectionType.PREFERRED, [ConfluentPartition(TOPIC, PARTITION)])
    for error in election.result(timeout=30).values():
        assert error is None or error.args[0].code() == KafkaErrorCode.ELECTION_NOT_NEEDED
    _wait_for("the restarted node leads", lambda: _partition(settings).leader == victim)
    mine = [value for value in await _read_all(settings) if value.startswith(run.encode())]
    assert mine == before + during
