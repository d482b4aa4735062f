"""CloudEvents 1.0 in Kafka's binary content mode, NL GOV profile.

The record value is the JSON ``data``; ``content-type`` carries the data content
type; every other attribute is a ``ce_<name>`` header. The contract tests check
this module against the official ``cloudevents`` SDK in both directions.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

SPECVERSION = "1.0"
#: Width of ``sequence`` on the wire, so "…0010" sorts after "…0009" as text.
SEQUENCE_DIGITS = 20
CONTENT_TYPE = "application/json"
CE_PREFIX = "ce_"
TYPE_PREFIX = "nl.migratiesamenwerking."
SOURCE_RE = re.compile(r"^urn:nld:oin:\d{20}:systeem:[a-z0-9-]+$")
TYPE_RE = re.compile(r"^nl\.migratiesamenwerking\.[a-z0-9-]+\.[a-z0-9]+(-[a-z0-9]+)*$")
ATTRIBUTE_RE = re.compile(r"^[a-z0-9]{1,20}$")
SEQUENCE_RE = re.compile(r"^[0-9]+$")
#: Attribute names an extension must not take (CloudEvents 1.0 context attributes and ``data``).
RESERVED_ATTRIBUTES = frozenset(
    {"specversion", "id", "source", "type", "time", "subject", "sequence", "dataschema"}
    | {"datacontenttype", "data"}
)
#: Headers that travel with the record but are not CloudEvents attributes.
TRACE_HEADERS = ("traceparent", "tracestate")


class EnvelopeError(ValueError):
    """A Kafka record is not a valid CloudEvent of this platform."""


@dataclass(frozen=True)
class KafkaRecord:
    """What goes to or comes from Kafka: key, value and headers, nothing else."""

    topic: str
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value.decode()
        return None


@dataclass(frozen=True)
class CloudEvent:
    """One event as the platform sees it: context attributes plus JSON data."""

    id: str
    source: str
    type: str
    time: datetime
    data: dict[str, Any]
    subject: str | None = None
    sequence: int | None = None
    dataschema: str | None = None
    datacontenttype: str = CONTENT_TYPE
    specversion: str = SPECVERSION
    extensions: dict[str, str] = field(default_factory=dict)
    #: W3C trace context carried beside the event (not an attribute).
    trace: dict[str, str] = field(default_factory=dict)

    def validate(self) -> None:
        if self.specversion != SPECVERSION:
            raise EnvelopeError(f"unsupported specversion {self.specversion!r}")
        if not SOURCE_RE.fullmatch(self.source):
            raise EnvelopeError(f"source {self.source!r} is not urn:nld:oin:<OIN>:systeem:<name>")
        if not TYPE_RE.fullmatch(self.type):
            raise EnvelopeError(
                f"type {self.type!r} is not nl.migratiesamenwerking.<service>.<event>"
            )
        try:
            uuid.UUID(self.id)
        except ValueError as exc:
            raise EnvelopeError(f"id {self.id!r} is not a UUID") from exc
        if self.time.tzinfo is None:
            raise EnvelopeError("time must be timezone-aware")
        # CloudEvents 1.0: an optional attribute, when present, must not be empty.
        for name, value in (
            ("subject", self.subject),
            ("dataschema", self.dataschema),
            ("datacontenttype", self.datacontenttype),
        ):
            if value is not None and not value:
                raise EnvelopeError(f"{name} must not be empty when present")
        if self.sequence is not None and self.sequence < 0:
            raise EnvelopeError(f"sequence {self.sequence} must not be negative")
        for name in self.extensions:
            if not ATTRIBUTE_RE.fullmatch(name):
                raise EnvelopeError(f"attribute name {name!r} must be 1-20 characters a-z0-9")
            if name in RESERVED_ATTRIBUTES:
                raise EnvelopeError(f"extension {name!r} would shadow a context attribute")

    def attributes(self) -> dict[str, str]:
        """Context attributes as strings, in the form the binary binding puts in headers."""
        attrs = {
            "specversion": self.specversion,
            "id": self.id,
            "source": self.source,
            "type": self.type,
            "time": format_time(self.time),
        }
        if self.subject is not None:
            attrs["subject"] = self.subject
        if self.sequence is not None:
            # The sequence extension orders its strings lexicographically: zero-pad.
            attrs["sequence"] = f"{self.sequence:0{SEQUENCE_DIGITS}d}"
        if self.dataschema is not None:
            attrs["dataschema"] = self.dataschema
        attrs.update(self.extensions)
        return attrs

    def to_record(self, topic: str, key: str | None) -> KafkaRecord:
        self.validate()
        headers = [(CE_PREFIX + name, value.encode()) for name, value in self.attributes().items()]
        headers.append(("content-type", self.datacontenttype.encode()))
        headers.extend((name, value.encode()) for name, value in self.trace.items())
        value = json.dumps(self.data, separators=(",", ":"), ensure_ascii=False).encode()
        return KafkaRecord(topic, key.encode() if key is not None else None, value, headers)

    @classmethod
    def from_record(cls, record: KafkaRecord) -> CloudEvent:
        """Read a binary-mode record; raises ``EnvelopeError`` on anything malformed."""
        attrs: dict[str, str] = {}
        trace: dict[str, str] = {}
        content_type = None
        for name, raw in record.headers:
            try:
                value = raw.decode() if isinstance(raw, bytes) else str(raw)
            except UnicodeDecodeError as exc:
                raise EnvelopeError(f"header {name!r} is not UTF-8") from exc
            lower = name.lower()
            if lower.startswith(CE_PREFIX):
                attrs[lower[len(CE_PREFIX) :]] = value
            elif lower == "content-type":
                content_type = value
            elif lower in TRACE_HEADERS:
                trace[lower] = value
        missing = [a for a in ("specversion", "id", "source", "type") if a not in attrs]
        if missing:
            names = ", ".join("ce_" + m for m in missing)
            raise EnvelopeError(f"missing CloudEvents headers: {names}")
        if content_type is not None and not content_type.startswith(CONTENT_TYPE):
            raise EnvelopeError(f"content-type {content_type!r} is not {CONTENT_TYPE}")
        try:
            data = json.loads(record.value) if record.value else {}
        except (ValueError, UnicodeDecodeError) as exc:
            raise EnvelopeError(f"value is not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise EnvelopeError("value must be a JSON object")
        try:
            time = parse_time(attrs.pop("time")) if "time" in attrs else datetime.now(UTC)
            sequence = _parse_sequence(attrs.pop("sequence")) if "sequence" in attrs else None
        except ValueError as exc:
            raise EnvelopeError(f"bad time or sequence attribute: {exc}") from exc
        event = cls(
            specversion=attrs.pop("specversion"),
            id=attrs.pop("id"),
            source=attrs.pop("source"),
            type=attrs.pop("type"),
            time=time,
            subject=attrs.pop("subject", None),
            sequence=sequence,
            dataschema=attrs.pop("dataschema", None),
            datacontenttype=content_type or CONTENT_TYPE,
            extensions=attrs,
            data=data,
            trace=trace,
        )
        event.validate()
        return event

    def to_structured(self) -> dict[str, Any]:
        """The structured JSON form (webhook bodies, readable logs)."""
        body: dict[str, Any] = dict(self.attributes())
        body["datacontenttype"] = self.datacontenttype
        body["data"] = self.data
        return body


def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``, the form the NL API rules ask for."""
    if moment.tzinfo is None:
        raise ValueError("event times must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _parse_sequence(text: str) -> int:
    """The platform's sequence is a plain decimal integer (no sign, spaces or ``_``)."""
    if not SEQUENCE_RE.fullmatch(text):
        raise ValueError(f"sequence {text!r} is not a decimal integer")
    return int(text)


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"time {text!r} has no offset")
    return moment.astimezone(UTC)


def new_event(
    *,
    source: str,
    type: str,
    data: dict[str, Any],
    subject: str | None = None,
    dataschema: str | None = None,
    sequence: int | None = None,
) -> CloudEvent:
    """A fresh event: random UUID id, registration time now."""
    return CloudEvent(
        id=str(uuid.uuid4()),
        source=source,
        type=type,
        time=datetime.now(UTC),
        data=data,
        subject=subject,
        dataschema=dataschema,
        sequence=sequence,
    )
