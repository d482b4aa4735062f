"""Kafka ACLs from the event catalogue and the entitlements file.

The broker runs ``StandardAuthorizer`` with ``allow.everyone.if.no.acl.found=false``:
what no ACL allows is refused. The ACLs are derived, never written by hand:

- a service writes its own topic and its own dead-letter topic (the notifications
  service also each organisation's stream), reads the topics of ``CONSUMES``,
  and uses the consumer groups that start with its principal's name;
- the operators' principal reads every domain and dead-letter topic and may
  describe the services' groups (for lag), with groups of its own;
- an organisation reads its own stream and the domain topics the entitlements
  file grants it, with groups of its own.

Idempotent producers need no extra ACL: WRITE on a topic implies it (Kafka 3.0+).
A service's outbox relay produces transactionally: its principal may WRITE the
transactional ids that start with ``<principal>.outbox`` (``shared.kafka.producer``),
which is all a transactional producer needs besides its topics (it commits no
consumer offsets). READ and WRITE imply DESCRIBE. Alignment (``align``) creates what is missing and
deletes any other ACL of this stack's principals, so a removed ACL comes back and
a hand-made one goes.
"""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from confluent_kafka.admin import (
    AclBinding,
    AclOperation,
    AclPermissionType,
    ResourcePatternType,
    ResourceType,
)
from pydantic import BaseModel, ConfigDict, field_validator

from shared.events.catalogue import (
    CONSUMES,
    SERVICES,
    dead_letter_topic_of,
    stream_topic_of,
    topic_of,
)
from shared.kafka.admin import KafkaAdmin
from shared.kafka.principals import (
    Principal,
    PrincipalKind,
    is_stack_principal,
    stack_principals,
)
from shared.organisations import ORGANISATIONS
from shared.settings import PlatformSettings

DOMAIN_TOPICS = tuple(topic_of(service) for service in SERVICES)


class Entitlement(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    topics: tuple[str, ...]
    reason: str

    @field_validator("topics")
    @classmethod
    def _domain_topics_only(cls, topics: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [topic for topic in topics if topic not in DOMAIN_TOPICS]
        if unknown:
            raise ValueError(
                f"not domain topics: {', '.join(unknown)} (allowed: {', '.join(DOMAIN_TOPICS)})"
            )
        return topics


class Entitlements(BaseModel):
    """The parsed entitlements file: organisation code -> the domain topics it reads."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int
    organisations: dict[str, Entitlement] = {}

    @field_validator("organisations")
    @classmethod
    def _known_organisations(cls, value: dict[str, Entitlement]) -> dict[str, Entitlement]:
        unknown = sorted(set(value) - set(ORGANISATIONS))
        if unknown:
            raise ValueError(f"unknown organisation codes: {', '.join(unknown)}")
        return value

    def topics_of(self, code: str) -> tuple[str, ...]:
        entitlement = self.organisations.get(code)
        return entitlement.topics if entitlement else ()


def load_entitlements(path: Path) -> Entitlements:
    """Read and check the file; a mistake in it stops provisioning with the reason."""
    with path.open("rb") as handle:
        return Entitlements.model_validate(tomllib.load(handle))


@dataclass(frozen=True, order=True)
class Acl:
    """One ALLOW rule, in the terms the table and the tests use."""

    principal: str
    resource: str  # "topic", "group", "transactional_id"
    pattern: str  # "literal", "prefixed"
    name: str
    operation: str  # "read", "write", "describe"

    def binding(self) -> AclBinding:
        return AclBinding(
            ResourceType[self.resource.upper()],
            self.name,
            ResourcePatternType[self.pattern.upper()],
            self.principal,
            "*",
            AclOperation[self.operation.upper()],
            AclPermissionType.ALLOW,
        )

    @classmethod
    def of(cls, binding: AclBinding) -> Acl | None:
        """The rule a broker binding stands for; ``None`` for one this model cannot say."""
        if binding.permission_type != AclPermissionType.ALLOW or binding.host != "*":
            return None
        return cls(
            binding.principal,
            _word(binding.restype),
            _word(binding.resource_pattern_type),
            binding.name,
            _word(binding.operation),
        )


def _word(value: Enum | str | int) -> str:
    """An enum member of the binding as the table's lower-case word."""
    return value.name.lower() if isinstance(value, Enum) else str(value).lower()


def _topic(principal: Principal, operation: str, topic: str) -> Acl:
    return Acl(principal.acl_name, "topic", "literal", topic, operation)


def _own_groups(principal: Principal) -> Acl:
    return Acl(principal.acl_name, "group", "prefixed", principal.group_prefix, "read")


def _outbox_transactions(principal: Principal) -> Acl:
    """The outbox relay's transactional ids (``<principal>.outbox``, and tests' suffixed ones)."""
    prefix = f"{principal.name}.outbox"
    return Acl(principal.acl_name, "transactional_id", "prefixed", prefix, "write")


def acls_of(principal: Principal, settings: PlatformSettings, entitled: Entitlements) -> list[Acl]:
    """What one principal of the stack may do."""
    acls = [_own_groups(principal)]
    if principal.kind is PrincipalKind.SERVICE:
        assert principal.subject is not None
        service = principal.subject
        acls += [_topic(principal, "write", topic_of(service))]
        acls += [_topic(principal, "write", dead_letter_topic_of(service))]
        acls += [_topic(principal, "read", topic_of(other)) for other in CONSUMES[service]]
        acls += [_outbox_transactions(principal)]
        if service == "notifications":
            acls += [_topic(principal, "write", stream_topic_of(code)) for code in ORGANISATIONS]
    elif principal.kind is PrincipalKind.OPERATORS:
        for service in SERVICES:
            acls += [_topic(principal, "read", topic_of(service))]
            acls += [_topic(principal, "read", dead_letter_topic_of(service))]
            acls += [
                Acl(
                    principal.acl_name,
                    "group",
                    "literal",
                    settings.consumer_group_for(service),
                    "describe",
                )
            ]
    elif principal.kind is PrincipalKind.ORGANISATION:
        assert principal.subject is not None
        acls += [_topic(principal, "read", stream_topic_of(principal.subject))]
        entitled_topics = entitled.topics_of(principal.subject)
        acls += [_topic(principal, "read", topic) for topic in entitled_topics]
    return acls


def wanted_acls(settings: PlatformSettings) -> list[Acl]:
    """Every ACL of this stack's principals, from the catalogue and the entitlements."""
    entitled = load_entitlements(settings.kafka_entitlements_file)
    return sorted(
        acl
        for principal in stack_principals(settings)
        for acl in acls_of(principal, settings, entitled)
    )


@dataclass
class AclReport:
    created: list[Acl] = field(default_factory=list)
    deleted: list[Acl] = field(default_factory=list)
    unchanged: int = 0


async def align(admin: KafkaAdmin, settings: PlatformSettings) -> AclReport:
    """Make the broker's ACLs of this stack's principals exactly the wanted ones."""
    wanted = set(wanted_acls(settings))
    present: dict[Acl, AclBinding] = {}
    strays: list[AclBinding] = []
    for binding in await admin.acls():
        if not is_stack_principal(settings, binding.principal):
            continue  # another stack's, or the broker's: not ours to touch
        acl = Acl.of(binding)
        if acl is None or acl not in wanted:
            strays.append(binding)
        else:
            present[acl] = binding
    missing = sorted(wanted - set(present))
    await admin.create_acls(acl.binding() for acl in missing)
    await admin.delete_acls(strays)
    deleted = [acl for binding in strays if (acl := Acl.of(binding)) is not None]
    return AclReport(created=missing, deleted=sorted(deleted), unchanged=len(present))


async def settled(admin: KafkaAdmin, settings: PlatformSettings, timeout_s: float = 15.0) -> None:
    """Wait until the broker's authorizer holds every wanted ACL.

    CreateAcls answers once the controller has committed the rules; the broker
    applies them from the metadata log a moment later. A client that connects
    in between (a service started right after provisioning) would be refused.
    """
    wanted = set(wanted_acls(settings))
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        present = {acl for binding in await admin.acls() if (acl := Acl.of(binding)) is not None}
        if wanted <= present:
            return
        if asyncio.get_running_loop().time() > deadline:
            missing = len(wanted - present)
            raise TimeoutError(f"{missing} ACLs still missing on the broker after {timeout_s:g} s")
        await asyncio.sleep(0.2)


async def remove_all(admin: KafkaAdmin, settings: PlatformSettings) -> int:
    """Delete every ACL of this stack's principals (a stack being taken down)."""
    mine = [b for b in await admin.acls() if is_stack_principal(settings, b.principal)]
    await admin.delete_acls(mine)
    return len(mine)


def table(acls: Iterable[Acl]) -> str:
    """The ACLs as a fixed-width table, one rule per line, grouped by principal."""
    rows = [("principal", "operation", "resource", "pattern", "name")]
    rows += [
        (acl.principal, acl.operation, acl.resource, acl.pattern, acl.name) for acl in sorted(acls)
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)
