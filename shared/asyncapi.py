"""Each service's AsyncAPI 3.0 document, generated from the event catalogue and its broker.

FastStream's generator (``faststream.specification.AsyncAPI``) does the
groundwork: servers, the service's own subscribers, and one documentation
publisher per event type the service produces, whose payload schema comes
from the catalogue model. The document is then completed where FastStream
cannot know the platform's conventions:

* **Produced types** share one topic, so their per-publisher channels are
  merged into one channel per topic with one message per event type, and one
  ``send`` operation per type; a plain publisher the service's broker has on
  that topic (payload unknown to FastStream) is replaced by them.
* **Consumed types**: the services' real subscribers take raw bytes through
  a custom decoder and dispatch on ``ce_type`` themselves, so FastStream can
  only describe their payload as binary. The channel of each consumed topic
  gets one message per consumed type instead, with the catalogue model's JSON
  Schema as payload, and the ``receive`` operation lists those messages (a
  ``receive`` operation is added when the broker has no subscriber for that
  topic).
* **CloudEvents binary mode**: every event message declares the ``ce_*``,
  ``content-type`` and trace-context headers, its Kafka key, an example and
  ``ce_id`` as correlation id.
* **Portable keys**: FastStream joins names with ``:``, which AsyncAPI does
  not allow in component keys; all keys are rewritten to ``[A-Za-z0-9._-]``.

A broker passed in is only read, never changed: the documentation publishers
live on a separate broker that mirrors its server description, so a running
service can serve its document at any time.
"""

from __future__ import annotations

import inspect
import re
import sys
import uuid
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import unquote

from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI

import shared.contracts  # noqa: F401  (registers every event type in the catalogue)
from shared.contracts.vocabulary import examples_of
from shared.events.catalogue import CATALOGUE, SERVICES, EventType, topic_of, types_of
from shared.events.envelope import CONTENT_TYPE, SOURCE_RE, SPECVERSION, TYPE_RE
from shared.schemas import key_property
from shared.settings import LOCAL_OIN, PlatformSettings

ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING_VERSION = "0.5.0"
HEADERS_SCHEMA = "CloudEventsKafkaHeaders"
EXAMPLE_TIME = "2025-06-01T09:00:00.000000Z"
_SAFE_KEY = re.compile(r"[^A-Za-z0-9._-]")


def asyncapi_document(
    service: str,
    broker: KafkaBroker | None = None,
    consumes: Iterable[str] = (),
) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of ``service`` as a JSON-ready dict.

    ``broker`` is the service's own broker, whose subscribers appear in the
    document; without one, only the catalogue's view is documented.
    ``consumes`` are the CloudEvents types (of other services) the service
    reads; each becomes a message on its topic's ``receive`` operation.
    """
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; one of {', '.join(SERVICES)}")
    consumed = _consumed_entries(consumes)
    produced = types_of(service)

    docs = _documentation_broker(like=broker)
    for entry in produced:
        docs.publisher(
            entry.topic,
            title=entry.type,
            description=_summary(entry),
            schema=entry.model,
            include_in_schema=True,
        )
    brokers = [docs] if broker is None else [broker, docs]
    specification = AsyncAPI(
        *brokers,
        title=f"Migration-cooperation platform: {service} service events",
        version="1.0.0",
        description=_service_description(service),
        identifier=f"urn:nld:migratiesamenwerking:asyncapi:{service}",
    ).to_specification()
    document: dict[str, Any] = specification.to_jsonable()

    components = document.setdefault("components", {})
    components.setdefault("schemas", {})[HEADERS_SCHEMA] = cloudevents_headers_schema()
    components.setdefault("messages", {})
    _merge_produced_channels(document, produced)
    _add_consumed_messages(document, consumed)
    for entry in (*produced, *consumed):
        components["messages"][entry.type] = event_message(entry, payload_ref=_payload_ref(entry))
        _hoist_model_schema(document, entry)
    _prune_unreferenced(document)
    _with_portable_keys(document)
    # FastStream keeps publishers in a set: sort what it ordered, so the output is stable.
    for section in ("messages", "schemas"):
        components[section] = dict(sorted(components.get(section, {}).items()))
    return document


# -- the parts FastStream builds ---------------------------------------------


def _documentation_broker(like: KafkaBroker | None) -> KafkaBroker:
    """A broker that only carries documentation publishers, never connected.

    Mirrors ``like``'s server description so FastStream sees one server.
    """
    if like is None:
        servers = PlatformSettings().kafka_bootstrap_servers.split(",")
        return KafkaBroker(servers, description="Apache Kafka (KRaft)")
    spec = like.specification
    return KafkaBroker(
        spec.url,
        specification_url=spec.url,
        protocol=spec.protocol,
        protocol_version=spec.protocol_version,
        description=spec.description,
        tags=spec.tags,
        security=spec.security,
    )


def _consumed_entries(types: Iterable[str]) -> list[EventType]:
    entries: list[EventType] = []
    for name in dict.fromkeys(types):
        if name not in CATALOGUE:
            raise ValueError(f"{name!r} is not a catalogued event type")
        entries.append(CATALOGUE[name])
    return entries


def _merge_produced_channels(document: dict[str, Any], produced: list[EventType]) -> None:
    """One channel per topic, one message and one ``send`` operation per produced type."""
    channels: dict[str, Any] = document.setdefault("channels", {})
    operations: dict[str, Any] = document.setdefault("operations", {})
    for entry in produced:
        generated = channels.pop(entry.type, None)
        operations.pop(entry.type, None)
        channel = _channel(document, entry.topic, template=generated)
        channel["messages"][entry.name] = _ref("components", "messages", entry.type)
        operations[f"send.{entry.type}"] = {
            "action": "send",
            "title": f"Publish {entry.name}",
            "summary": _summary(entry),
            "channel": _ref("channels", entry.topic),
            "messages": [_ref("channels", entry.topic, "messages", entry.name)],
        }
    # The service's own FastStream publishers to its topic say no more than "some
    # message": the per-type send operations above replace them.
    topics = {entry.topic for entry in produced}
    for key, channel in list(channels.items()):
        if channel.get("address") not in topics or key in topics:
            continue
        using = [k for k, op in operations.items() if op.get("channel") == _ref("channels", key)]
        if all(operations[k].get("action") == "send" for k in using):
            del channels[key]
            for k in using:
                del operations[k]


def _add_consumed_messages(document: dict[str, Any], consumed: list[EventType]) -> None:
    """Replace the raw-bytes subscriber messages with one message per consumed type."""
    by_topic: dict[str, list[EventType]] = {}
    for entry in consumed:
        by_topic.setdefault(entry.topic, []).append(entry)
    channels: dict[str, Any] = document.setdefault("channels", {})
    operations: dict[str, Any] = document.setdefault("operations", {})
    for topic, entries in by_topic.items():
        receiving = {
            key: [
                operation
                for operation in operations.values()
                if operation.get("action") == "receive"
                and operation.get("channel") == _ref("channels", key)
            ]
            for key, channel in channels.items()
            if channel.get("address") == topic
        }
        receiving = {key: ops for key, ops in receiving.items() if ops}
        if not receiving:
            _channel(document, topic)
            operation: dict[str, Any] = {"action": "receive", "channel": _ref("channels", topic)}
            operations[f"receive.{topic}"] = operation
            receiving = {topic: [operation]}
        for key, received in receiving.items():
            channel = channels[key]
            if key != topic:
                # A subscriber's channel: FastStream's message only says "bytes".
                channel["messages"] = {}
            for entry in entries:
                channel["messages"][entry.name] = _ref("components", "messages", entry.type)
            for operation in received:
                operation["messages"] = [
                    _ref("channels", key, "messages", entry.name) for entry in entries
                ]


def _channel(
    document: dict[str, Any], topic: str, template: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The channel keyed by ``topic``, created with the platform's description if missing."""
    channels: dict[str, Any] = document.setdefault("channels", {})
    if topic not in channels:
        channel: dict[str, Any] = {
            "address": topic,
            "title": topic,
            "description": f"Domain topic of the {_owner(topic)} service: CloudEvents in "
            "Kafka binary content mode, keyed by aggregate id, kept indefinitely.",
            "messages": {},
            "bindings": {"kafka": {"topic": topic, "bindingVersion": KAFKA_BINDING_VERSION}},
        }
        if template is not None and "servers" in template:
            channel["servers"] = template["servers"]
        elif servers := document.get("servers"):
            channel["servers"] = [_ref("servers", name) for name in servers]
        channels[topic] = channel
    return channels[topic]  # type: ignore[no-any-return]


def _owner(topic: str) -> str:
    for service in SERVICES:
        if topic_of(service) == topic:
            return service
    return "owning"


# -- CloudEvents messages ----------------------------------------------------


def cloudevents_headers_schema() -> dict[str, Any]:
    """The Kafka headers of a CloudEvent in binary content mode, NL GOV profile."""
    return {
        "type": "object",
        "description": "CloudEvents 1.0 context attributes as `ce_` headers (binary content "
        "mode), the data content type as `content-type`, and W3C trace context.",
        "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "content-type"],
        "properties": {
            "ce_specversion": {"type": "string", "const": SPECVERSION},
            "ce_id": {"type": "string", "format": "uuid", "description": "Unique per source."},
            "ce_source": {
                "type": "string",
                "pattern": SOURCE_RE.pattern,
                "description": "Producing system: `urn:nld:oin:<OIN>:systeem:<service>`.",
            },
            "ce_type": {
                "type": "string",
                "pattern": TYPE_RE.pattern,
                "description": "`nl.migratiesamenwerking.<service>.<event>`.",
            },
            "ce_time": {
                "type": "string",
                "format": "date-time",
                "description": "When the event was registered, RFC 3339 in UTC.",
            },
            "ce_subject": {
                "type": "string",
                "minLength": 1,
                "description": "The aggregate id, equal to the Kafka key.",
            },
            "ce_sequence": {
                "type": "string",
                "pattern": "^[0-9]+$",
                "description": "Decimal integer, increasing per aggregate (sequence extension).",
            },
            "ce_dataschema": {
                "type": "string",
                "format": "uri",
                "description": "URN of the data's JSON Schema (`$id` of the exported schema).",
            },
            "content-type": {"type": "string", "const": CONTENT_TYPE},
            "traceparent": {
                "type": "string",
                "pattern": "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
                "description": "W3C trace context of the flow that produced the event.",
            },
            "tracestate": {"type": "string", "description": "W3C trace state, vendor data."},
        },
    }


def event_message(entry: EventType, payload_ref: dict[str, str]) -> dict[str, Any]:
    """The AsyncAPI message of one event type: headers, key, payload, example."""
    key = key_property(entry)
    source_pattern = SOURCE_RE.pattern.replace("[a-z0-9-]+$", re.escape(entry.service) + "$")
    payload_schema = entry.model.model_json_schema(by_alias=True)
    key_schema = {
        k: v
        for k, v in payload_schema["properties"][key].items()
        if k in ("type", "pattern", "format", "minLength", "maxLength")
    }
    key_schema["description"] = f"The aggregate id: `{key}` of the data."
    message: dict[str, Any] = {
        "name": entry.type,
        "title": entry.name.replace("-", " ").capitalize(),
        "summary": _summary(entry),
        "contentType": CONTENT_TYPE,
        "headers": {
            "allOf": [
                _ref("components", "schemas", HEADERS_SCHEMA),
                {
                    "type": "object",
                    "properties": {
                        "ce_type": {"type": "string", "const": entry.type},
                        "ce_source": {"type": "string", "pattern": source_pattern},
                        "ce_dataschema": {"type": "string", "const": entry.dataschema},
                    },
                },
            ]
        },
        "payload": payload_ref,
        "correlationId": {
            "description": "The CloudEvents id; consumers deduplicate on source + id.",
            "location": "$message.header#/ce_id",
        },
        "bindings": {"kafka": {"key": key_schema, "bindingVersion": KAFKA_BINDING_VERSION}},
        "x-cloudevents-type": entry.type,
        "x-kafka-key": key,
    }
    if description := _details(entry):
        message["description"] = description
    examples = [
        {
            "name": f"{entry.name}-{n}",
            "headers": _example_headers(entry, data, key),
            "payload": data,
        }
        for n, data in enumerate(examples_of(entry.model), start=1)
    ]
    if examples:
        message["examples"] = examples
    return message


def _example_headers(entry: EventType, data: dict[str, Any], key: str) -> dict[str, str]:
    return {
        "ce_specversion": SPECVERSION,
        "ce_id": str(uuid.uuid5(uuid.NAMESPACE_URL, entry.type)),
        "ce_source": f"urn:nld:oin:{LOCAL_OIN}:systeem:{entry.service}",
        "ce_type": entry.type,
        "ce_time": EXAMPLE_TIME,
        "ce_subject": str(data[key]),
        "ce_sequence": "1",
        "ce_dataschema": entry.dataschema,
        "content-type": CONTENT_TYPE,
    }


def _payload_ref(entry: EventType) -> dict[str, str]:
    return _ref("components", "schemas", _schema_name(entry))


def _schema_name(entry: EventType) -> str:
    return str(entry.model.model_json_schema(by_alias=True).get("title", entry.model.__name__))


def _hoist_model_schema(document: dict[str, Any], entry: EventType) -> None:
    """Put the model's schema and its ``$defs`` under ``components/schemas``.

    FastStream did this already for produced types; for consumed types it is
    the only place their schema comes from.
    """
    schemas: dict[str, Any] = document["components"].setdefault("schemas", {})
    schema = entry.model.model_json_schema(
        by_alias=True, ref_template="#/components/schemas/{model}"
    )
    for name, definition in schema.pop("$defs", {}).items():
        schemas.setdefault(name, definition)
    schemas.setdefault(_schema_name(entry), schema)


def _summary(entry: EventType) -> str:
    return entry.description.splitlines()[0].strip()


def _details(entry: EventType) -> str:
    text = inspect.cleandoc(entry.description)
    return text.partition("\n")[2].strip()


def _service_description(service: str) -> str:
    module = sys.modules.get(f"shared.contracts.{service}")
    text = inspect.cleandoc(module.__doc__ or "") if module is not None else ""
    return text or f"Events of the {service} service."


# -- references and keys -----------------------------------------------------


def _ref(*parts: str) -> dict[str, str]:
    return {"$ref": "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)}


def _walk_refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _walk_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk_refs(item)


def _prune_unreferenced(document: dict[str, Any]) -> None:
    """Drop component messages and schemas nothing reaches (e.g. FastStream's binary payloads)."""
    components = document.get("components", {})
    reachable: set[str] = set()
    pending = list(_walk_refs({k: v for k, v in document.items() if k != "components"}))
    while pending:
        target = pending.pop()
        if target in reachable:
            continue
        reachable.add(target)
        node = _resolve(document, target)
        if node is not None:
            pending.extend(_walk_refs(node))
    for section in ("messages", "schemas"):
        entries = components.get(section, {})
        for name in list(entries):
            pointer = _ref("components", section, name)["$ref"]
            if not any(r == pointer or r.startswith(pointer + "/") for r in reachable):
                del entries[name]


def _resolve(document: dict[str, Any], pointer: str) -> Any:
    if not pointer.startswith("#/"):
        return None
    node: Any = document
    for raw in pointer[2:].split("/"):
        part = unquote(raw).replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _with_portable_keys(document: dict[str, Any]) -> dict[str, Any]:
    """Rename keys that AsyncAPI does not allow (FastStream's ``a:b``) and fix every ``$ref``."""
    renames: dict[str, str] = {}
    maps = [("channels",), ("operations",), ("components", "messages"), ("components", "schemas")]
    for path in maps:
        container: dict[str, Any] = document
        for part in path:
            container = container.get(part, {})
        for old in list(container):
            new = _SAFE_KEY.sub(".", old)
            if new != old:
                container[new] = container.pop(old)
                renames[_ref(*path, old)["$ref"]] = _ref(*path, new)["$ref"]
    if renames:
        _rewrite_refs(document, renames)
    return document


def _rewrite_refs(node: Any, renames: dict[str, str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                node[key] = _renamed(value, renames)
            else:
                _rewrite_refs(value, renames)
    elif isinstance(node, list):
        for item in node:
            _rewrite_refs(item, renames)


def _renamed(pointer: str, renames: dict[str, str]) -> str:
    for old, new in renames.items():
        if pointer == old or pointer.startswith(old + "/"):
            return new + pointer[len(old) :]
    return pointer


__all__ = ["asyncapi_document", "cloudevents_headers_schema", "event_message"]
