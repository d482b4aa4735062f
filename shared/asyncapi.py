"""Each service's AsyncAPI 3.0 document, built from the event catalogue.

Built from the catalogue rather than generated from the service's FastStream
broker, because the broker does not know what the service promises on the
bus: the service writes its events through the outbox relay, not broker
publishers, and reads other services' topics with one subscriber that takes
raw bytes and dispatches on ``ce_type`` itself. What it promises is in the
catalogue (each event type's topic, key, model and dataschema) and in its
consumer's handler table (the types it reads). So the document has:

* **servers**: the Kafka bootstrap servers of the settings, each requiring
  SASL/SCRAM-SHA-512 (over TLS with ``SASL_SSL``);
* **channels**: one per topic (the service's own, and each topic it reads),
  with a Kafka binding and one message per event type on it;
* **operations**: one ``send`` per type the service produces, one ``receive``
  per topic it reads, listing the types it handles there;
* **components**: one message per event type (CloudEvents binary-mode headers,
  Kafka key, examples: ``shared.asyncapi_messages``) and the models' JSON
  Schemas as pydantic generates them, sorted by name so that the same
  catalogue always gives the same bytes.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Iterable
from typing import Any

from shared.asyncapi_messages import (
    HEADERS_SCHEMA,
    KAFKA_BINDING_VERSION,
    cloudevents_headers_schema,
    event_message,
    payload_schemas,
    ref,
    summary,
)
from shared.events.catalogue import CATALOGUE, SERVICES, EventType, dead_letter_topic_of, types_of
from shared.events.envelope import CONTENT_TYPE
from shared.http.app import ApiContact
from shared.settings import PlatformSettings

ASYNCAPI_VERSION = "3.0.0"
#: The version of the v1 contracts; a breaking change is a new event type, not a new version.
CONTRACTS_VERSION = "1.0.0"
SECURITY_SCHEME = "scram512"


def asyncapi_document(
    service: str,
    consumes: Iterable[str] = (),
    settings: PlatformSettings | None = None,
) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of ``service`` as a JSON-ready dict.

    ``consumes`` are the CloudEvents types of other services it reads: the keys
    of its consumer's handler table. They are documented in type order, so the
    order handlers were registered in does not show. ``settings`` give the
    servers and the consumer group; by default the environment's.
    """
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; one of {', '.join(SERVICES)}")
    settings = settings or PlatformSettings()
    consumed = _consumed_entries(consumes)
    servers = _servers(settings)
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {HEADERS_SCHEMA: cloudevents_headers_schema()}

    for entry in types_of(service):
        _channel(channels, entry, servers)["messages"][entry.name] = _message_ref(entry)
        operations[f"send.{entry.type}"] = _send(entry)
    by_topic: dict[str, list[EventType]] = {}
    for entry in consumed:
        _channel(channels, entry, servers)["messages"][entry.name] = _message_ref(entry)
        by_topic.setdefault(entry.topic, []).append(entry)
    for topic, entries in by_topic.items():
        operations[f"receive.{topic}"] = _receive(service, topic, entries, settings)

    for entry in (*types_of(service), *consumed):
        messages[entry.type] = event_message(entry)
        for name, schema in payload_schemas(entry)[1].items():
            if schemas.setdefault(name, schema) != schema:
                raise ValueError(f"two different schemas are both called {name!r}")

    return {
        "asyncapi": ASYNCAPI_VERSION,
        "id": f"urn:nld:migratiesamenwerking:asyncapi:{service}",
        "info": _info(service),
        "defaultContentType": CONTENT_TYPE,
        "servers": servers,
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": dict(sorted(messages.items())),
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {SECURITY_SCHEME: _security_scheme(service, settings)},
        },
    }


def _consumed_entries(types: Iterable[str]) -> list[EventType]:
    entries: list[EventType] = []
    for name in sorted(set(types)):
        if name not in CATALOGUE:
            raise ValueError(f"{name!r} is not a catalogued event type")
        entries.append(CATALOGUE[name])
    return entries


def _info(service: str) -> dict[str, Any]:
    """Title, version, the contracts module's docstring, and the APIs' own contact."""
    module = sys.modules.get(f"shared.contracts.{service}")
    description = inspect.cleandoc(module.__doc__ or "") if module is not None else ""
    return {
        "title": f"Migration-cooperation platform: {service} service events",
        "version": CONTRACTS_VERSION,
        "description": description or f"Events of the {service} service.",
        "contact": ApiContact().model_dump(),
        "tags": [
            {"name": service, "description": f"Events of the {service} service."},
            {"name": "cloudevents", "description": "CloudEvents 1.0, NL GOV profile."},
        ],
    }


def _servers(settings: PlatformSettings) -> dict[str, Any]:
    """One server per bootstrap address: an AsyncAPI host is one host, not a list."""
    hosts = [host.strip() for host in settings.kafka_bootstrap_servers.split(",") if host.strip()]
    tls = settings.kafka_security_protocol == "SASL_SSL"
    return {
        "development" if len(hosts) == 1 else f"development-{n}": {
            "host": host,
            "protocol": "kafka-secure" if tls else "kafka",
            "description": "Apache Kafka (KRaft), SASL/SCRAM-SHA-512 "
            + ("over TLS." if tls else "without TLS."),
            "security": [ref("components", "securitySchemes", SECURITY_SCHEME)],
        }
        for n, host in enumerate(hosts, start=1)
    }


def _security_scheme(service: str, settings: PlatformSettings) -> dict[str, str]:
    return {
        "type": "scramSha512",
        "description": f"The service connects as its own principal "
        f"`{settings.principal_of(service)}`, whose ACLs let it write its own topic and "
        "read the topics it consumes; each principal's password is provisioned apart.",
    }


def _channel(channels: dict[str, Any], entry: EventType, servers: dict[str, Any]) -> Any:
    """The channel of ``entry``'s topic, added with the platform's description if new."""
    if entry.topic not in channels:
        channels[entry.topic] = {
            "address": entry.topic,
            "title": entry.topic,
            "description": f"Domain topic of the {entry.service} service: CloudEvents in "
            "Kafka binary content mode, keyed by aggregate id, kept indefinitely.",
            "messages": {},
            "bindings": {"kafka": {"topic": entry.topic, "bindingVersion": KAFKA_BINDING_VERSION}},
            "servers": [ref("servers", name) for name in servers],
        }
    return channels[entry.topic]


def _message_ref(entry: EventType) -> dict[str, str]:
    return ref("components", "messages", entry.type)


def _send(entry: EventType) -> dict[str, Any]:
    return {
        "action": "send",
        "title": f"Publish {entry.name}",
        "summary": summary(entry),
        "description": f"Written to the {entry.service} service's outbox in the transaction "
        "of the change it records, then relayed to the topic with the aggregate id "
        f"(`{entry.key_property}`) as key: one aggregate's events stay in order.",
        "channel": ref("channels", entry.topic),
        "messages": [ref("channels", entry.topic, "messages", entry.name)],
    }


def _receive(
    service: str, topic: str, entries: list[EventType], settings: PlatformSettings
) -> dict[str, Any]:
    group = settings.consumer_group_for(service)
    return {
        "action": "receive",
        "title": f"Consume {topic}",
        "summary": f"The {service} service handles these event types of {topic}.",
        "description": f"Read by consumer group `{group}`, which ignores the topic's other "
        "types and skips events it has handled (source + id). A record with an invalid "
        "envelope or data, an unknown type or an untrusted source, or one its handler "
        f"keeps failing on, is parked on `{dead_letter_topic_of(service)}`.",
        "channel": ref("channels", topic),
        "messages": [ref("channels", topic, "messages", entry.name) for entry in entries],
        "bindings": {
            "kafka": {
                "groupId": {"type": "string", "const": group},
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }


__all__ = [
    "HEADERS_SCHEMA",
    "asyncapi_document",
    "cloudevents_headers_schema",
    "event_message",
]
