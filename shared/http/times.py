"""Times in API responses: RFC 3339, always UTC, always with ``Z``.

SQLite hands back naive datetimes; the platform stores UTC, so a naive value is
read as UTC rather than being sent without an offset (which RFC 3339 forbids).
Use :data:`UtcDateTime` as the type of every timestamp field in a response model.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, PlainSerializer, WithJsonSchema


def as_utc(value: datetime) -> datetime:
    """The same instant in UTC; naive values are taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def rfc3339(value: datetime) -> str:
    """``2025-05-23T09:30:00Z`` (fractional seconds only when present)."""
    return as_utc(value).isoformat().replace("+00:00", "Z")


UtcDateTime = Annotated[
    datetime,
    AfterValidator(as_utc),
    PlainSerializer(rfc3339, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2025-05-23T09:30:00Z"]}),
]
