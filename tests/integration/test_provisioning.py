"""Topics come from the catalogue, with their configuration, and provisioning is idempotent."""

from __future__ import annotations

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from shared.kafka.topics import TopicSpec, provision, topic_specs
from shared.settings import PlatformSettings

pytestmark = pytest.mark.kafka


async def _configs(bootstrap: str, topic: str) -> dict[str, str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        responses = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
        return {e[0]: e[1] for r in responses for res in r.resources for e in res[4]}
    finally:
        await admin.close()


async def test_catalogue_topics_exist_with_their_configuration(settings: PlatformSettings) -> None:
    await provision(settings)
    domain = await _configs(settings.kafka_bootstrap_servers, "taskforce.monitoring.v1")
    assert domain["retention.ms"] == "-1"  # the record: kept indefinitely
    assert domain["cleanup.policy"] == "delete"
    assert domain["min.insync.replicas"] == str(settings.topic_min_insync_replicas)
    dead = await _configs(settings.kafka_bootstrap_servers, "taskforce.monitoring.dead-letter.v1")
    assert dead["retention.ms"] == str(settings.dead_letter_retention_ms)
    names = {spec.name for spec in topic_specs(settings)}
    assert {f"taskforce.{s}.dead-letter.v1" for s in ("countries", "programmes")} <= names


async def test_provisioning_twice_changes_nothing(settings: PlatformSettings, unique: str) -> None:
    specs = [
        TopicSpec(
            f"test.provision.{unique}", 2, 1, {"retention.ms": "-1", "cleanup.policy": "delete"}
        )
    ]
    first = await provision(settings, specs)
    second = await provision(settings, specs)
    assert first.created == [f"test.provision.{unique}"]
    assert not second.changed
    assert second.unchanged == [f"test.provision.{unique}"]


async def test_drifted_configuration_is_put_back(settings: PlatformSettings, unique: str) -> None:
    name = f"test.drift.{unique}"
    await provision(settings, [TopicSpec(name, 1, 1, {"retention.ms": "-1"})])
    report = await provision(settings, [TopicSpec(name, 1, 1, {"retention.ms": "86400000"})])
    assert report.altered == {name: {"retention.ms": "86400000"}}
    assert (await _configs(settings.kafka_bootstrap_servers, name))["retention.ms"] == "86400000"
