"""Base models of request and response bodies: camelCase on the wire, typos refused.

Every service's API speaks the same JSON dialect (NL API Design Rules: camelCase
properties), so the two bases live here once.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from shared.contracts.vocabulary import field_title


class ApiModel(BaseModel):
    """A resource as an API shows it: camelCase properties, snake_case in Python."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, field_title_generator=field_title
    )


class InputModel(ApiModel):
    """A request body: unknown properties are refused, so a misspelt field is a 422, not lost."""

    model_config = ConfigDict(extra="forbid")
