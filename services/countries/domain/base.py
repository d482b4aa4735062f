"""What every part of the domain shares: value objects and their merge patches.

Value objects are pydantic models so that the HTTP layer can take them in and
give them out as they are (camelCase on the wire, snake_case in code). Rules
that involve more than one field, or the current state, are not validators on
those models: they are functions returning :class:`shared.errors.Violation` s,
each naming the field it is about, so that a rejected request can list every
invalid field.

Profiles and partnership tracks both change by JSON merge patch (RFC 7396): a
field that is sent replaces the stored value, ``null`` resets it to its empty
value, a field left out stays; :func:`merge` applies one and :func:`diff` says
what it changed, for any value object.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from shared.contracts.vocabulary import field_title


class ValueObject(BaseModel):
    """An immutable piece of domain data: camelCase on the wire, unknown fields refused."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        field_title_generator=field_title,
    )


def camel(name: str) -> str:
    """The wire name of a snake_case field."""
    return to_camel(name)


V = TypeVar("V", bound=ValueObject)


@dataclass(frozen=True)
class FieldChange:
    """One field of a change: its camelCase name and its JSON values before and after."""

    field: str
    before: Any
    after: Any


def merge(content: V, patch: Mapping[str, Any]) -> V:
    """``content`` with a merge patch applied; ``patch`` maps snake_case fields to new values.

    ``None`` resets a field to its default (no items, unset); a name that is not
    one of the content's fields is a programming error, not a caller's.
    """
    kind = type(content)
    unknown = set(patch) - set(kind.model_fields)
    if unknown:
        raise ValueError(f"not {kind.__name__} fields: {sorted(unknown)}")
    updates = {
        name: value if value is not None else kind.model_fields[name].get_default()
        for name, value in patch.items()
    }
    return kind.model_validate({**content.model_dump(), **updates})


def diff(before: V, after: V) -> list[FieldChange]:
    """The fields whose JSON value differs, in document order."""
    old = before.model_dump(mode="json")
    new = after.model_dump(mode="json")
    return [
        FieldChange(camel(name), old[name], new[name])
        for name in type(before).model_fields
        if old[name] != new[name]
    ]
