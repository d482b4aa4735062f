"""Event contracts: the CloudEvents envelope, the Kafka binary binding and the catalogue."""

from shared.events.catalogue import (
    CATALOGUE,
    EventData,
    EventType,
    dead_letter_topic_of,
    entry_for,
    event_type,
    topic_of,
)
from shared.events.envelope import CloudEvent, KafkaRecord, new_event

__all__ = [
    "CATALOGUE",
    "CloudEvent",
    "EventData",
    "EventType",
    "KafkaRecord",
    "dead_letter_topic_of",
    "entry_for",
    "event_type",
    "new_event",
    "topic_of",
]
