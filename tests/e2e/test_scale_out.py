"""Scale-out under fire: two replicas of every service on PostgreSQL, three brokers, kills.

The stack: every service as two processes (``taskforce up --replicas 2``) on one
PostgreSQL database per service, on a three-node KRaft cluster of its own with
replication factor 3 and ``min.insync.replicas`` 2. The load: the incident
stream of :mod:`tests.e2e.stream` (2,000 reports, each flagged, reviewed and
delivered; clients alternate between the replicas and retry a request lost in
transit with its ``Idempotency-Key``), and profile changes of one country,
delivered to its subscriber.

Mid-stream, in turn: kill -9 one replica of monitoring, of programmes, of
notifications and of countries, and one broker. The other replica takes over
each one's outbox lease and its partitions of the consumer group; the cluster
keeps accepting writes with two nodes in sync. Afterwards:

- nothing lost and no effect twice: flags == incidents, one review per
  programme whose triggers are the flags, one delivery per event and
  subscription, every profile change delivered once, in order;
- no event id twice on any domain topic (exactly-once publication), and every
  key's ``ce_sequence`` without gaps or repeats;
- webhooks: one ``webhook-id`` per delivery; a kill of notifications may repeat
  only the attempts in flight at that instant (same id, which a receiver drops).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from shared.events.catalogue import SERVICES, topic_of
from shared.kafka_cluster import MIN_INSYNC_REPLICAS, REPLICATION_FACTOR, LocalKafkaCluster
from tests.conftest import suite_broker
from tests.databases import keep_server, service_databases, suite_postgres
from tests.e2e.stack import Stack, wait_for
from tests.e2e.stream import assert_balanced, new_stream, post_incidents
from tests.e2e.topic_audit import audit_topics, end_offsets
from tests.support import TEST_VAR

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(1800)]

BASE_PORT = 18131
REPLICAS = 2
#: Reports between two faults; six stretches around five faults make the 2,000.
STRETCH = 334
PROFILE_CHANGES_PER_STRETCH = 10
COUNTRY = "ISL"
PROFILE_UPDATED = "nl.migratiesamenwerking.countries.country-profile-updated"
#: Heap and JIT of each node: three JVMs beside eight services on two cores.
JAVA_OPTS = "-Xms128m -Xmx512m -XX:TieredStopAtLevel=1"


@dataclass(frozen=True)
class ScaledOut:
    stack: Stack
    cluster: LocalKafkaCluster


def fresh_cluster() -> LocalKafkaCluster:
    """Three nodes on ``TASKFORCE_TEST_SCALE_PORT`` and the five ports after it, empty."""
    base = int(os.environ.get("TASKFORCE_TEST_SCALE_PORT", "19520"))
    home = TEST_VAR / "kafka-scale"
    cluster = LocalKafkaCluster(
        home=home,
        broker_port=base,
        controller_port=base + 1,
        heap=os.environ.get("TASKFORCE_TEST_CLUSTER_JAVA_OPTS", JAVA_OPTS),
        libs_dir=suite_broker().libs,
        secrets_dir=home / "secrets",
    )
    cluster.stop()
    shutil.rmtree(home, ignore_errors=True)
    return cluster


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScaledOut]:
    server = suite_postgres()
    started_server = not server.answering()
    server.start()
    os.environ["PGPASSFILE"] = str(server.passfile)
    cluster = fresh_cluster()
    try:
        cluster.start()
        env = {
            **service_databases(server, "scale"),
            "TASKFORCE_KAFKA_SECRETS_DIR": str(cluster.secrets),
            "TOPIC_REPLICATION_FACTOR": str(REPLICATION_FACTOR),
            "TOPIC_MIN_INSYNC_REPLICAS": str(MIN_INSYNC_REPLICAS),
        }
        stack = Stack.start(
            tmp_path_factory.mktemp("scale-out"),
            cluster.bootstrap,
            {name: BASE_PORT + i for i, name in enumerate(SERVICES)},
            replicas=REPLICAS,
            env=env,
            kafka_secrets_dir=cluster.secrets,
            topic_replication_factor=REPLICATION_FACTOR,
            topic_min_insync_replicas=MIN_INSYNC_REPLICAS,
        )
        try:
            yield ScaledOut(stack, cluster)
        finally:
            stack.close()
    finally:
        cluster.stop()
        if started_server and not keep_server():
            server.stop()


def test_two_replicas_on_postgresql_and_three_brokers_lose_and_repeat_nothing(
    scaled: ScaledOut,
) -> None:
    stack, cluster = scaled.stack, scaled.cluster
    domain_topics = [topic_of(service) for service in SERVICES]
    start = asyncio.run(end_offsets(stack.kafka_options(), domain_topics))
    stream = new_stream(stack)
    stack.subscribe("bz", eventTypes=[PROFILE_UPDATED], filters={"countryCode": [COUNTRY]})
    first_revision = stack.call("countries", "GET", f"/countries/{COUNTRY}", "bz")["revision"]
    changes = 0

    def change_profile() -> None:
        nonlocal changes
        for _ in range(PROFILE_CHANGES_PER_STRETCH):
            changes += 1
            stack.call(
                "countries",
                "PATCH",
                f"/countries/{COUNTRY}",
                "bz",
                json={"notes": f"Scale-out test change {changes}."},
            )

    faults: dict[str, Callable[[], None]] = {
        "kill -9 monitoring-1": lambda: stack.supervisor.kill("monitoring-1"),
        "kill -9 programmes-1": lambda: stack.supervisor.kill("programmes-1"),
        "kill -9 notifications-1": lambda: stack.supervisor.kill("notifications-1"),
        "kill -9 countries-1": lambda: stack.supervisor.kill("countries-1"),
        "kill -9 broker 2": lambda: cluster.kill_node(2),
    }
    began = time.monotonic()
    faults["(none)"] = lambda: None
    for name, fault in faults.items():
        asyncio.run(post_incidents(stream, STRETCH))
        change_profile()
        fault()
        print(f"{time.monotonic() - began:6.1f}s {sum(stream.posted.values())} reports; {name}")
    cluster.start_node(2)

    # What a kill of notifications may repeat: the attempts in flight at that instant.
    in_flight = int(stack.supervisor.env["TASKFORCE_NOTIFICATIONS_MAX_IN_FLIGHT"])
    assert_balanced(stream, timeout=600, redelivered_at_most=in_flight)

    def profile_deliveries() -> list[int]:
        return sorted(
            d.data["revision"]
            for d in stack.receiver.at("bz", "country-profile-updated")
            if d.data.get("countryCode") == COUNTRY
        )

    wait_for(lambda: len(set(profile_deliveries())) >= changes, timeout=120, what="every change")
    assert sorted(set(profile_deliveries())) == list(
        range(first_revision + 1, first_revision + changes + 1)
    )

    audit = asyncio.run(audit_topics(stack.kafka_options(), start))
    assert audit.duplicated_ids == {}, f"{len(audit.duplicated_ids)} event ids published twice"
    assert audit.broken_sequences == {}, audit.broken_sequences
    assert audit.records >= 3 * sum(stream.posted.values())
    for service in SERVICES:
        survivor = f"{service}-2"
        assert stack.supervisor.running(survivor), f"{survivor} died too"
    print(
        f"{sum(stream.posted.values())} reports, {changes} profile changes, "
        f"{audit.records} records on the domain topics in {time.monotonic() - began:.0f}s"
    )
