"""The event catalogue: event type -> pydantic model -> topic.

Each event type is one pydantic model registered with ``@event_type``. The
catalogue is the single source for topic provisioning, JSON Schema export,
consumer validation and the AsyncAPI documents. Within ``v1`` a model may only
grow optional fields; a breaking change is a new event type.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from shared.events.envelope import TYPE_PREFIX

SERVICES = ("countries", "programmes", "monitoring", "notifications")

#: Whose topics each service reads. A service's consumer refuses a handler for any
#: other topic, and its Kafka principal may read exactly these (``shared.kafka.acls``).
CONSUMES: dict[str, tuple[str, ...]] = {
    "countries": (),
    "programmes": ("countries", "monitoring"),
    "monitoring": ("countries", "programmes"),
    "notifications": ("countries", "programmes", "monitoring"),
}


def topic_of(service: str) -> str:
    """The one domain topic a service writes."""
    return f"taskforce.{service}.v1"


def dead_letter_topic_of(service: str) -> str:
    """Where a consuming service parks records it cannot handle."""
    return f"taskforce.{service}.dead-letter.v1"


def stream_topic_of(organisation: str) -> str:
    """An organisation's own stream: the events its subscriptions route to it.

    The notifications service writes it; only that organisation's principal may read it.
    """
    return f"taskforce.org.{organisation}.v1"


class EventData(BaseModel):
    """Base of every event's ``data``: camelCase on the wire, unknown fields tolerated.

    Tolerating unknown fields lets producers add optional fields within ``v1``
    without breaking consumers that have not been upgraded yet.
    """

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True
    )

    #: Name of the field that holds the aggregate id (Kafka key and ``subject``).
    key_field: ClassVar[str]

    def aggregate_id(self) -> str:
        return str(getattr(self, self.key_field))

    def to_data(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


@dataclass(frozen=True)
class EventType:
    service: str
    name: str
    model: type[EventData]

    @property
    def type(self) -> str:
        return f"{TYPE_PREFIX}{self.service}.{self.name}"

    @property
    def topic(self) -> str:
        return topic_of(self.service)

    @property
    def dataschema(self) -> str:
        return f"urn:nld:migratiesamenwerking:schema:{self.service}:{self.name}:1"

    @property
    def description(self) -> str:
        return (self.model.__doc__ or self.name).strip()

    @property
    def key_property(self) -> str:
        """The wire (camelCase) name of the property that holds the Kafka key."""
        field = self.model.__pydantic_fields__[self.model.key_field]
        return field.alias or self.model.key_field

    def json_schema(self) -> dict[str, Any]:
        """The published JSON Schema (draft 2020-12) of this type's ``data``."""
        schema: dict[str, Any] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            **self.model.model_json_schema(by_alias=True),
        }
        schema["$id"] = self.dataschema
        schema["x-cloudevents-type"] = self.type
        schema["x-kafka-topic"] = self.topic
        schema["x-kafka-key"] = self.key_property
        return schema


CATALOGUE: dict[str, EventType] = {}
_BY_MODEL: dict[type[EventData], EventType] = {}

M = TypeVar("M", bound=type[EventData])


def event_type(service: str, name: str) -> Callable[[M], M]:
    """Register a model as the data of ``nl.migratiesamenwerking.<service>.<name>``."""
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}")

    def register(model: M) -> M:
        if not hasattr(model, "key_field") or model.key_field not in model.__pydantic_fields__:
            raise TypeError(f"{model.__name__} must name its aggregate id field in key_field")
        entry = EventType(service, name, model)
        if entry.type in CATALOGUE:
            raise ValueError(f"event type {entry.type} registered twice")
        CATALOGUE[entry.type] = entry
        _BY_MODEL[model] = entry
        return model

    return register


def entry_for(model: type[EventData]) -> EventType:
    try:
        return _BY_MODEL[model]
    except KeyError:
        raise KeyError(f"{model.__name__} is not in the event catalogue") from None


def types_of(service: str) -> list[EventType]:
    return [entry for entry in CATALOGUE.values() if entry.service == service]
