"""What every part of the domain shares: value objects.

Value objects are pydantic models so that the HTTP layer can take them in and
give them out as they are (camelCase on the wire, snake_case in code). Rules
that involve more than one field, or the current state, are not validators on
those models: they are functions returning :class:`shared.errors.Violation` s,
each naming the field it is about, so that a rejected request can list every
invalid field.
"""

from __future__ import annotations

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
