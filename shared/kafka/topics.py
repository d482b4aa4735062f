"""Topic provisioning from the event catalogue, through the Kafka admin API.

Topics are never auto-created: ``taskforce kafka provision`` (which ``make up``
runs, as the admin principal) creates them. Running it twice changes nothing:
existing topics are left alone unless their configuration drifted, in which
case the drifting keys are set back to the settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from confluent_kafka import KafkaError
from confluent_kafka.admin import NewTopic

from shared.events.catalogue import SERVICES, dead_letter_topic_of, stream_topic_of, topic_of
from shared.kafka.admin import KafkaAdmin
from shared.organisations import ORGANISATIONS
from shared.settings import PlatformSettings


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication_factor: int
    config: dict[str, str]


@dataclass
class ProvisionReport:
    created: list[str] = field(default_factory=list)
    altered: dict[str, dict[str, str]] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.altered)


def topic_specs(settings: PlatformSettings) -> list[TopicSpec]:
    """Domain topics and organisations' streams keep events forever (they are the record);
    dead letters expire."""
    common = {"min.insync.replicas": str(settings.topic_min_insync_replicas)}
    forever = {**common, "cleanup.policy": "delete", "retention.ms": "-1", "retention.bytes": "-1"}

    def kept(name: str) -> TopicSpec:
        return TopicSpec(
            name, settings.topic_partitions, settings.topic_replication_factor, forever
        )

    specs = []
    for service in SERVICES:
        specs.append(kept(topic_of(service)))
        specs.append(
            TopicSpec(
                dead_letter_topic_of(service),
                1,
                settings.topic_replication_factor,
                {
                    **common,
                    "cleanup.policy": "delete",
                    "retention.ms": str(settings.dead_letter_retention_ms),
                },
            )
        )
    specs += [kept(stream_topic_of(organisation)) for organisation in ORGANISATIONS]
    return specs


async def provision_topics(admin: KafkaAdmin, specs: list[TopicSpec]) -> ProvisionReport:
    """Create the missing topics of ``specs`` and set drifted configuration back."""
    report = ProvisionReport()
    existing = await admin.topic_names()
    missing = [spec for spec in specs if spec.name not in existing]
    present = [spec for spec in specs if spec.name in existing]
    if missing:
        errors = await admin.create_topics(
            NewTopic(
                spec.name,
                num_partitions=spec.partitions,
                replication_factor=spec.replication_factor,
                config=spec.config,
            )
            for spec in missing
        )
        for spec in missing:
            error = errors.get(spec.name)
            if error is None:
                report.created.append(spec.name)
            elif error.code() == KafkaError.TOPIC_ALREADY_EXISTS:
                present.append(spec)  # created meanwhile: align it like any other
            else:
                raise RuntimeError(f"creating topic {spec.name}: {error.str()}")
    actual = await admin.topic_configs(spec.name for spec in present)
    for spec in present:
        current = actual.get(spec.name, {})
        drift = {key: value for key, value in spec.config.items() if current.get(key) != value}
        if drift:
            await admin.set_topic_config(spec.name, drift)
            report.altered[spec.name] = drift
        else:
            report.unchanged.append(spec.name)
    return report
