"""Column types that speak the domain's types, so rows and domain objects copy by name.

The tables keep plain SQL types (what the migration creates): closed
vocabularies as their text, indicator values as decimal text (never floats),
instants with their time zone. These types convert at the database's edge,
so a row's attributes are the domain's values (enums, exact decimals, UTC
instants) and a repository moves a domain object in or out of a row by its
field names (:func:`fields_of`, :func:`columns_of`) instead of field by field.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlalchemy import DateTime, Dialect, String
from sqlalchemy.types import TypeDecorator

from shared.db import Base

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")


class Vocabulary(TypeDecorator[E], Generic[E]):
    """A closed-vocabulary value (a ``StrEnum``), stored as its text."""

    impl = String
    cache_ok = True

    def __init__(self, vocabulary: type[E], length: int) -> None:
        super().__init__(length)
        self.vocabulary = vocabulary

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self.vocabulary(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> E | None:
        return None if value is None else self.vocabulary(value)


class Exact(TypeDecorator[Decimal]):
    """An exact decimal, stored as its text (``"12.5"``): a float would round it."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


class Instant(TypeDecorator[datetime]):
    """A point in time, read back in UTC (SQLite keeps no zone: its values are UTC already)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        instant: datetime = value
        return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)


def fields_of(kind: type[T], row: Base) -> dict[str, Any]:
    """The fields of the domain dataclass ``kind`` that ``row`` has a column for, by name."""
    if not is_dataclass(kind):
        raise TypeError(f"{kind.__name__} is not a dataclass")
    return {f.name: getattr(row, f.name) for f in fields(kind) if hasattr(row, f.name)}


def columns_of(table: type[Base], source: object) -> dict[str, Any]:
    """The columns of ``table`` that the domain object ``source`` has a field for, by name."""
    names = table.__table__.columns.keys()
    return {name: getattr(source, name) for name in names if hasattr(source, name)}


def given(**values: object) -> dict[str, object]:
    """The filters of a list that the caller set (``None``: not filtered on), for ``filter_by``."""
    return {name: value for name, value in values.items() if value is not None}
