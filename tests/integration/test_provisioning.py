"""Provisioning: topics from the catalogue, a SCRAM user per principal, ACLs; idempotent."""

from __future__ import annotations

from dataclasses import replace

import pytest

from shared.kafka import acls
from shared.kafka.principals import stack_principals
from shared.kafka.provisioning import admin_client, provision
from shared.kafka.topics import TopicSpec, provision_topics, topic_specs
from shared.settings import PlatformSettings

pytestmark = pytest.mark.kafka


async def _configs(settings: PlatformSettings, topic: str) -> dict[str, str]:
    async with admin_client(settings) as admin:
        return (await admin.topic_configs([topic]))[topic]


async def test_catalogue_topics_exist_with_their_configuration(settings: PlatformSettings) -> None:
    await provision(settings)
    domain = await _configs(settings, "taskforce.monitoring.v1")
    assert domain["retention.ms"] == "-1"  # the record: kept indefinitely
    assert domain["cleanup.policy"] == "delete"
    assert domain["min.insync.replicas"] == str(settings.topic_min_insync_replicas)
    dead = await _configs(settings, "taskforce.monitoring.dead-letter.v1")
    assert dead["retention.ms"] == str(settings.dead_letter_retention_ms)
    stream = await _configs(settings, "taskforce.org.kmar.v1")
    assert stream["retention.ms"] == "-1"
    names = {spec.name for spec in topic_specs(settings)}
    assert {f"taskforce.{s}.dead-letter.v1" for s in ("countries", "programmes")} <= names


async def test_provisioning_twice_changes_nothing(settings: PlatformSettings) -> None:
    await provision(settings)
    again = await provision(settings)
    assert not again.topics.changed
    assert again.principals.created == []
    assert again.acls.created == [] and again.acls.deleted == []
    assert again.acls.unchanged == len(acls.wanted_acls(settings))


async def test_drifted_topic_configuration_is_put_back(
    settings: PlatformSettings, unique: str
) -> None:
    name = f"test.drift.{unique}"
    async with admin_client(settings) as admin:
        await provision_topics(admin, [TopicSpec(name, 1, 1, {"retention.ms": "-1"})])
        report = await provision_topics(
            admin, [TopicSpec(name, 1, 1, {"retention.ms": "86400000"})]
        )
    assert report.altered == {name: {"retention.ms": "86400000"}}
    assert (await _configs(settings, name))["retention.ms"] == "86400000"


async def test_a_removed_acl_comes_back_and_a_stray_one_goes(settings: PlatformSettings) -> None:
    await provision(settings)
    wanted = acls.wanted_acls(settings)
    removed = next(
        a for a in wanted if a.principal.endswith(".monitoring") and a.operation == "write"
    )
    stray = replace(removed, name="taskforce.programmes.v1")  # monitoring writing programmes' topic
    async with admin_client(settings) as admin:
        await admin.delete_acls([removed.binding()])
        await admin.create_acls([stray.binding()])
    report = await provision(settings)
    assert report.acls.created == [removed]
    assert report.acls.deleted == [stray]
    async with admin_client(settings) as admin:
        present = {a for b in await admin.acls() if (a := acls.Acl.of(b)) is not None}
    assert removed in present and stray not in present


async def test_a_principal_whose_credential_was_deleted_gets_it_back(
    settings: PlatformSettings,
) -> None:
    await provision(settings)
    ops = next(p for p in stack_principals(settings) if p.name.endswith(".ops"))
    async with admin_client(settings) as admin:
        await admin.delete_scram_users([ops.name])
        assert ops.name not in await admin.scram_users()
    report = await provision(settings)
    assert report.principals.created == [ops.name]
    async with admin_client(settings) as admin:
        assert ops.name in await admin.scram_users()


def test_entitlements_name_only_known_organisations_and_domain_topics(tmp_path: object) -> None:
    with pytest.raises(ValueError, match="unknown organisation codes: nobody"):
        acls.Entitlements.model_validate(
            {"version": 1, "organisations": {"nobody": {"topics": [], "reason": "x"}}}
        )
    with pytest.raises(ValueError, match=r"not domain topics: taskforce\.org\.bz\.v1"):
        acls.Entitlements.model_validate(
            {
                "version": 1,
                "organisations": {"kmar": {"topics": ["taskforce.org.bz.v1"], "reason": "x"}},
            }
        )
