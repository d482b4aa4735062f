"""The AsyncAPI message of one event type: a CloudEvent in Kafka binary content mode.

Kept apart from the document (``shared.asyncapi``) because it is the part a
reader of the bus relies on record by record: the ``ce_*`` headers every
event carries, its Kafka key, its payload schema and worked examples. All of
it comes from the catalogue entry and its pydantic model, so the document
cannot drift from what producers send and consumers validate.
"""

from __future__ import annotations

import inspect
import re
import uuid
from typing import Any

import shared.contracts  # noqa: F401  (registers every event type in the catalogue)
from shared.contracts.vocabulary import examples_of
from shared.events.catalogue import EventType
from shared.events.envelope import CONTENT_TYPE, SOURCE_RE, SPECVERSION, TYPE_RE
from shared.settings import LOCAL_OIN

KAFKA_BINDING_VERSION = "0.5.0"
HEADERS_SCHEMA = "CloudEventsKafkaHeaders"
#: One fixed time in every example, so the documents are the same bytes on every build.
EXAMPLE_TIME = "2025-06-01T09:00:00.000000Z"
_SCHEMAS = "#/components/schemas/"
_KEY_KEYWORDS = ("type", "pattern", "format", "minLength", "maxLength")


def ref(*parts: str) -> dict[str, str]:
    """A local ``$ref`` to ``#/<parts>``, each part escaped as a JSON Pointer token."""
    return {"$ref": "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)}


def summary(entry: EventType) -> str:
    """The first line of the model's docstring: what happened, in one sentence."""
    return entry.description.splitlines()[0].strip()


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


def payload_schemas(entry: EventType) -> tuple[str, dict[str, dict[str, Any]]]:
    """The name of the model's schema and every schema it needs, for ``components/schemas``.

    Pydantic's own JSON Schema, with its ``$defs`` lifted next to it so that
    models shared between event types (enums, references) appear once.
    """
    schema = entry.model.model_json_schema(by_alias=True, ref_template=_SCHEMAS + "{model}")
    schemas: dict[str, dict[str, Any]] = schema.pop("$defs", {})
    name = str(schema.get("title", entry.model.__name__))
    schemas[name] = schema
    return name, schemas


def event_message(entry: EventType) -> dict[str, Any]:
    """The AsyncAPI message of one event type: headers, key, payload, examples."""
    key = entry.key_property
    name, schemas = payload_schemas(entry)
    key_schema = {k: v for k, v in schemas[name]["properties"][key].items() if k in _KEY_KEYWORDS}
    key_schema["description"] = f"The aggregate id: `{key}` of the data."
    source_pattern = SOURCE_RE.pattern.replace("[a-z0-9-]+$", re.escape(entry.service) + "$")
    message: dict[str, Any] = {
        "name": entry.type,
        "title": entry.name.replace("-", " ").capitalize(),
        "summary": summary(entry),
        "contentType": CONTENT_TYPE,
        "headers": {
            # The parser's rules want the headers schema itself to say "object".
            "type": "object",
            "allOf": [
                ref("components", "schemas", HEADERS_SCHEMA),
                {
                    "type": "object",
                    "properties": {
                        "ce_type": {"type": "string", "const": entry.type},
                        "ce_source": {"type": "string", "pattern": source_pattern},
                        "ce_dataschema": {"type": "string", "const": entry.dataschema},
                    },
                },
            ],
        },
        "payload": ref("components", "schemas", name),
        "correlationId": {
            "description": "The CloudEvents id; consumers deduplicate on source + id.",
            "location": "$message.header#/ce_id",
        },
        "bindings": {"kafka": {"key": key_schema, "bindingVersion": KAFKA_BINDING_VERSION}},
        "x-cloudevents-type": entry.type,
        "x-kafka-key": key,
    }
    if details := inspect.cleandoc(entry.description).partition("\n")[2].strip():
        message["description"] = details
    if examples := examples_of(entry.model):
        message["examples"] = [
            {"name": f"{entry.name}-{n}", "headers": _example_headers(entry, data), "payload": data}
            for n, data in enumerate(examples, start=1)
        ]
    return message


def _example_headers(entry: EventType, data: dict[str, Any]) -> dict[str, str]:
    """Headers as the outbox relay would write them for ``data`` (fixed id and time)."""
    return {
        "ce_specversion": SPECVERSION,
        "ce_id": str(uuid.uuid5(uuid.NAMESPACE_URL, entry.type)),
        "ce_source": f"urn:nld:oin:{LOCAL_OIN}:systeem:{entry.service}",
        "ce_type": entry.type,
        "ce_time": EXAMPLE_TIME,
        "ce_subject": str(data[entry.key_property]),
        "ce_sequence": "1",
        "ce_dataschema": entry.dataschema,
        "content-type": CONTENT_TYPE,
    }
