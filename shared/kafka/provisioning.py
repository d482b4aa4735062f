"""Provisioning a stack on the broker: principals, topics, ACLs, as the admin principal.

``taskforce kafka provision`` runs this (``make up`` and the test suite do too).
Each step is idempotent: a second run creates nothing, and drift (a topic's
configuration changed, an ACL removed or added by hand, a principal's credential
deleted) is put back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.kafka import acls
from shared.kafka.admin import KafkaAdmin
from shared.kafka.principals import ADMIN, stack_principals
from shared.kafka.security import (
    Credentials,
    credentials_for,
    ensure_credentials,
    password_file,
)
from shared.kafka.topics import ProvisionReport, TopicSpec, provision_topics, topic_specs
from shared.settings import PlatformSettings


@dataclass
class PrincipalReport:
    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


@dataclass
class StackReport:
    principals: PrincipalReport
    topics: ProvisionReport
    acls: acls.AclReport

    def summary(self) -> str:
        return (
            f"principals: {len(self.principals.created)} created, "
            f"{len(self.principals.unchanged)} unchanged; "
            f"topics: {len(self.topics.created)} created, {len(self.topics.altered)} realigned, "
            f"{len(self.topics.unchanged)} unchanged; "
            f"ACLs: {len(self.acls.created)} created, {len(self.acls.deleted)} removed, "
            f"{self.acls.unchanged} unchanged"
        )


def admin_client(settings: PlatformSettings) -> KafkaAdmin:
    return KafkaAdmin(settings, credentials_for(settings, ADMIN))


async def provision_principals(admin: KafkaAdmin, settings: PlatformSettings) -> PrincipalReport:
    """A SCRAM user per principal of the stack, with the password of its file or variable.

    A principal's credential is set on the broker when it has none there or when
    its password was just generated; one that exists is left alone (its stored
    credential is salted, so it cannot be compared, and rotating it on every
    start would cut off running clients).
    """
    report = PrincipalReport()
    existing = await admin.scram_users()
    to_set: list[Credentials] = []
    for principal in stack_principals(settings):
        credentials, new = ensure_credentials(settings.kafka_secrets, principal.name)
        if new or principal.name not in existing:
            to_set.append(credentials)
            report.created.append(principal.name)
        else:
            report.unchanged.append(principal.name)
    await admin.set_scram_passwords(to_set)
    return report


async def provision(
    settings: PlatformSettings, specs: list[TopicSpec] | None = None
) -> StackReport:
    """Principals, then topics, then ACLs: everything a stack needs before it starts."""
    async with admin_client(settings) as admin:
        principals = await provision_principals(admin, settings)
        topics = await provision_topics(admin, topic_specs(settings) if specs is None else specs)
        aligned = await acls.align(admin, settings)
        await acls.settled(admin, settings)
    return StackReport(principals, topics, aligned)


async def deprovision(settings: PlatformSettings) -> None:
    """Remove this stack's principals, their password files and ACLs (topics are shared)."""
    principals = stack_principals(settings)
    async with admin_client(settings) as admin:
        await acls.remove_all(admin, settings)
        existing = await admin.scram_users()
        await admin.delete_scram_users(p.name for p in principals if p.name in existing)
    for principal in principals:
        password_file(settings.kafka_secrets, principal.name).unlink(missing_ok=True)
