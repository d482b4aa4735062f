"""Who connects to Kafka: the principals of one stack, named from its prefix.

Every Kafka client authenticates as one of these (SASL/SCRAM-SHA-512), and the
ACLs (``shared.kafka.acls``) say what each may do:

- ``admin``: the super user, used only for provisioning (topics, principals, ACLs);
- ``<prefix>.<service>``: one per service, e.g. ``taskforce.monitoring``;
- ``<prefix>.ops``: operators' read-only view (``taskforce events tail``);
- ``<prefix>.org.<code>``: one per organisation in the registry, e.g. ``taskforce.org.bz``.

A principal's consumer groups start with its own name: a service's group is
exactly its principal's name (``taskforce.monitoring``), an organisation's are
``taskforce.org.bz.<anything>``. So the name alone tells whose a group is.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shared.events.catalogue import SERVICES
from shared.organisations import ORGANISATIONS
from shared.settings import PlatformSettings

#: The super user: named in the broker's ``super.users``, so not per stack.
ADMIN = "admin"
#: Broker-internal principals: inter-broker (SCRAM) and the controller listener (PLAIN).
BROKER = "broker"
CONTROLLER = "controller"


class PrincipalKind(StrEnum):
    ADMIN = "admin"
    SERVICE = "service"
    OPERATORS = "operators"
    ORGANISATION = "organisation"


@dataclass(frozen=True)
class Principal:
    """One SCRAM user of a stack and what it stands for."""

    name: str
    kind: PrincipalKind
    #: The service name or organisation code it stands for; ``None`` for admin and ops.
    subject: str | None = None

    @property
    def acl_name(self) -> str:
        """The principal as Kafka's authorizer names it."""
        return f"User:{self.name}"

    @property
    def group_prefix(self) -> str:
        """The start every consumer group of this principal must have.

        A service's own group is its bare name; everyone else's groups carry a
        suffix after a dot, so ``taskforce.org.am`` can never match ``taskforce.org.amx``.
        """
        return self.name if self.kind is PrincipalKind.SERVICE else f"{self.name}."


def admin() -> Principal:
    return Principal(ADMIN, PrincipalKind.ADMIN)


def service_principal(settings: PlatformSettings, service: str) -> Principal:
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}")
    return Principal(settings.principal_of(service), PrincipalKind.SERVICE, service)


def operators_principal(settings: PlatformSettings) -> Principal:
    return Principal(f"{settings.kafka_prefix}.ops", PrincipalKind.OPERATORS)


def organisation_principal(settings: PlatformSettings, code: str) -> Principal:
    if code not in ORGANISATIONS:
        raise ValueError(f"unknown organisation {code!r}")
    return Principal(f"{settings.kafka_prefix}.org.{code}", PrincipalKind.ORGANISATION, code)


def stack_principals(settings: PlatformSettings) -> list[Principal]:
    """Every principal of this stack but admin: what provisioning creates and aligns."""
    return [
        *(service_principal(settings, service) for service in SERVICES),
        operators_principal(settings),
        *(organisation_principal(settings, code) for code in ORGANISATIONS),
    ]


def is_stack_principal(settings: PlatformSettings, acl_name: str) -> bool:
    """Whether an ACL's principal belongs to this stack (its ACLs are ours to align)."""
    return acl_name.startswith(f"User:{settings.kafka_prefix}.")
