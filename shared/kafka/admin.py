"""The Kafka admin operations provisioning needs, awaitable.

Built on ``confluent_kafka``'s AdminClient (librdkafka), because aiokafka's admin
client has no API for ACLs or SCRAM credentials. Its calls return
``concurrent.futures`` futures, resolved here with ``asyncio.wrap_future``; the
one blocking call (topic metadata) runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewTopic,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)

from shared.kafka.security import (
    SCRAM_ITERATIONS,
    Credentials,
    confluent_options,
)
from shared.settings import PlatformSettings

log = logging.getLogger(__name__)

#: Every ACL binding on the cluster (``None`` matches any name, principal and host;
#: the stubs say ``str``, the library takes ``None``).
ALL_ACLS = AclBindingFilter(
    ResourceType.ANY,
    None,  # type: ignore[arg-type]
    ResourcePatternType.ANY,
    None,  # type: ignore[arg-type]
    None,  # type: ignore[arg-type]
    AclOperation.ANY,
    AclPermissionType.ANY,
)


class KafkaAdmin:
    """One admin connection; ``async with KafkaAdmin(...)`` or ``close()`` when done."""

    def __init__(
        self, settings: PlatformSettings, credentials: Credentials, timeout_s: float = 30.0
    ) -> None:
        self.timeout_s = timeout_s
        self._client = AdminClient(
            {
                **confluent_options(settings, credentials),
                "client.id": "taskforce-provisioner",
            },
            # librdkafka logs through Python logging instead of straight to stderr.
            logger=log,
        )

    async def __aenter__(self) -> KafkaAdmin:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Serve pending callbacks; librdkafka closes the connections when the client goes."""
        self._client.poll(0)

    # -- topics --------------------------------------------------------------
    async def topic_names(self) -> set[str]:
        metadata = await asyncio.to_thread(self._client.list_topics, timeout=self.timeout_s)
        return {name for name in metadata.topics if not name.startswith("__")}

    async def create_topics(self, topics: Iterable[NewTopic]) -> dict[str, KafkaError | None]:
        """Create topics; per topic ``None`` or the broker's error (e.g. it already exists)."""
        futures = self._client.create_topics(list(topics), request_timeout=self.timeout_s)
        return {name: await _error_of(future) for name, future in futures.items()}

    async def topic_configs(self, names: Iterable[str]) -> dict[str, dict[str, str]]:
        resources = [ConfigResource(ResourceType.TOPIC, name) for name in names]
        if not resources:
            return {}
        futures = self._client.describe_configs(resources, request_timeout=self.timeout_s)
        found: dict[str, dict[str, str]] = {}
        for resource, future in futures.items():
            entries: Mapping[str, ConfigEntry] = await asyncio.wrap_future(future)
            found[resource.name] = {
                key: entry.value for key, entry in entries.items() if entry.value is not None
            }
        return found

    async def set_topic_config(self, name: str, config: Mapping[str, str]) -> None:
        """Set the given keys (incrementally: keys not named are left as they are)."""
        resource = ConfigResource(
            ResourceType.TOPIC,
            name,
            incremental_configs=[
                ConfigEntry(key, value, incremental_operation=AlterConfigOpType.SET)
                for key, value in config.items()
            ],
        )
        futures = self._client.incremental_alter_configs([resource], request_timeout=self.timeout_s)
        for future in futures.values():
            await asyncio.wrap_future(future)

    # -- SCRAM users -----------------------------------------------------------
    async def scram_users(self) -> set[str]:
        future = self._client.describe_user_scram_credentials(request_timeout=self.timeout_s)
        assert isinstance(future, concurrent.futures.Future)
        described: Mapping[str, Any] = await asyncio.wrap_future(future)
        return set(described)

    async def set_scram_passwords(self, credentials: Iterable[Credentials]) -> None:
        """Create or replace the SCRAM-SHA-512 credential of each user (salted by the broker)."""
        alterations: list[Any] = [
            UserScramCredentialUpsertion(
                item.username,
                ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS),
                item.password.get_secret_value().encode(),
            )
            for item in credentials
        ]
        await self._alter_scram(alterations)

    async def delete_scram_users(self, names: Iterable[str]) -> None:
        alterations: list[Any] = [
            UserScramCredentialDeletion(name, ScramMechanism.SCRAM_SHA_512) for name in names
        ]
        await self._alter_scram(alterations)

    async def _alter_scram(self, alterations: list[Any]) -> None:
        if not alterations:
            return
        futures = self._client.alter_user_scram_credentials(
            alterations, request_timeout=self.timeout_s
        )
        for future in futures.values():
            await asyncio.wrap_future(future)

    # -- ACLs ------------------------------------------------------------------
    async def acls(self) -> list[AclBinding]:
        future = self._client.describe_acls(ALL_ACLS, request_timeout=self.timeout_s)
        found: list[AclBinding] = await asyncio.wrap_future(future)
        return found

    async def create_acls(self, bindings: Iterable[AclBinding]) -> None:
        wanted = list(bindings)
        if not wanted:
            return
        futures = self._client.create_acls(wanted, request_timeout=self.timeout_s)
        for future in futures.values():
            await asyncio.wrap_future(future)

    async def delete_acls(self, bindings: Iterable[AclBinding]) -> None:
        """Delete exactly these bindings (each used as a filter that matches only itself)."""
        filters = [
            AclBindingFilter(
                b.restype,
                b.name,
                b.resource_pattern_type,
                b.principal,
                b.host,
                b.operation,
                b.permission_type,
            )
            for b in bindings
        ]
        if not filters:
            return
        futures = self._client.delete_acls(filters, request_timeout=self.timeout_s)
        for future in futures.values():
            await asyncio.wrap_future(future)


async def _error_of(future: concurrent.futures.Future[Any]) -> KafkaError | None:
    try:
        await asyncio.wrap_future(future)
    except KafkaException as exc:
        error: KafkaError = exc.args[0]
        return error
    return None
