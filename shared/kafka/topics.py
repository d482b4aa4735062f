"""Topic provisioning from the event catalogue, through the Kafka admin API.

Topics are never auto-created: each service runs ``provision`` at start, and
``taskforce topics provision`` does the same for operators. Running it twice
changes nothing: existing topics are left alone unless their configuration
drifted, in which case the drifting keys are altered back to the settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import TopicAlreadyExistsError, for_code

from shared.events.catalogue import SERVICES, dead_letter_topic_of, stream_topic_of, topic_of
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
    """Domain topics keep events forever (they are the record); dead letters expire."""
    common = {"min.insync.replicas": str(settings.topic_min_insync_replicas)}
    specs = []
    for service in SERVICES:
        specs.append(
            TopicSpec(
                topic_of(service),
                settings.topic_partitions,
                settings.topic_replication_factor,
                {
                    **common,
                    "cleanup.policy": "delete",
                    "retention.ms": "-1",
                    "retention.bytes": "-1",
                },
            )
        )
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
    for organisation in ORGANISATIONS:
        # The same events as the domain topics, routed: kept as long as they are.
        specs.append(
            TopicSpec(
                stream_topic_of(organisation),
                settings.topic_partitions,
                settings.topic_replication_factor,
                {
                    **common,
                    "cleanup.policy": "delete",
                    "retention.ms": "-1",
                    "retention.bytes": "-1",
                },
            )
        )
    return specs


async def provision(
    settings: PlatformSettings, specs: list[TopicSpec] | None = None
) -> ProvisionReport:
    specs = specs if specs is not None else topic_specs(settings)
    report = ProvisionReport()
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap_servers, client_id="taskforce-provisioner"
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [spec for spec in specs if spec.name not in existing]
        present = [spec for spec in specs if spec.name in existing]
        if missing:
            response = await admin.create_topics(
                [
                    NewTopic(
                        spec.name,
                        num_partitions=spec.partitions,
                        replication_factor=spec.replication_factor,
                        topic_configs=spec.config,
                    )
                    for spec in missing
                ]
            )
            for topic_error in response.topic_errors:
                name, code = topic_error[0], topic_error[1]
                if code == 0:
                    report.created.append(name)
                elif for_code(code) is TopicAlreadyExistsError:
                    # Created meanwhile, or metadata lagged behind: align it like any other.
                    present += [spec for spec in missing if spec.name == name]
                else:
                    raise for_code(code)(f"creating topic {name}: {topic_error[2:]}")
        if present:
            await _align_configs(admin, present, report)
    finally:
        await admin.close()
    return report


async def _align_configs(
    admin: AIOKafkaAdminClient, specs: list[TopicSpec], report: ProvisionReport
) -> None:
    resources = [ConfigResource(ConfigResourceType.TOPIC, spec.name) for spec in specs]
    responses = await admin.describe_configs(resources)
    actual: dict[str, dict[str, str]] = {}
    for response in responses:
        for resource in response.resources:
            # (error_code, error_message, resource_type, resource_name, config_entries)
            name, entries = resource[3], resource[4]
            actual[name] = {entry[0]: entry[1] for entry in entries}
    for spec in specs:
        current = actual.get(spec.name, {})
        drift = {k: v for k, v in spec.config.items() if current.get(k) != v}
        if drift:
            # Non-incremental alter replaces all dynamic configs: send the full wanted set.
            responses = await admin.alter_configs(
                [ConfigResource(ConfigResourceType.TOPIC, spec.name, configs=spec.config)]
            )
            for response in responses:
                for resource in response.resources:
                    if resource[0] != 0:
                        raise for_code(resource[0])(f"altering {spec.name}: {resource[1]}")
            report.altered[spec.name] = drift
        else:
            report.unchanged.append(spec.name)
