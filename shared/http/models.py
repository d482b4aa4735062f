"""Base models and value types of request and response bodies, shared by every service.

Every service's API speaks the same JSON dialect (NL API Design Rules: camelCase
properties), so the two bases live here once. So do the two value types whose
rules must be the same everywhere:

- :data:`Text`, free text a caller writes. It refuses characters that no reader
  can take back: NUL and the other C0 controls, DEL, the C1 controls, lone
  surrogates and the non-characters U+FFFE/U+FFFF. Such a character cannot be
  written to XML (the IATI export), breaks terminals and log readers, and a lone
  surrogate cannot even be encoded as UTF-8 for the database. Tab and line feed
  are ordinary text. Carriage return is allowed too: browsers send a textarea's
  line breaks as CR LF, JSON carries it unchanged and XML writers escape it
  (``&#13;``), so refusing it would only turn away ordinary multi-line input.
- :data:`WebUrl`, an http(s) link. Parsing normalises a URL (a trailing ``/``
  on a bare host, percent-encoding, punycode host names), so the stored value
  can be longer than what was sent. The limits are checked on the normalised
  value and the value must parse back to itself: what is accepted is exactly
  what a read model built on the same type accepts again.

:func:`from_storage` turns stored data into a model; if the model refuses it, that
is the service's fault (a logged 500), not a 422 blaming whoever asked for it.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Final, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    TypeAdapter,
    ValidationError,
)
from pydantic.alias_generators import to_camel

from shared.contracts.vocabulary import field_title
from shared.http.problems import StoredDataUnreadable

M = TypeVar("M", bound=BaseModel)


class ApiModel(BaseModel):
    """A resource as an API shows it: camelCase properties, snake_case in Python."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, field_title_generator=field_title
    )


class InputModel(ApiModel):
    """A request body: unknown properties are refused, so a misspelt field is a 422, not lost."""

    model_config = ConfigDict(extra="forbid")


#: Characters free text may not hold (see the module docstring for why CR is allowed).
_REFUSED_IN_TEXT: Final = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]", re.UNICODE
)
#: The same rule for the OpenAPI document, so generated clients and fuzzers know it.
TEXT_PATTERN: Final = (
    r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uD800-\uDFFF\uFFFE\uFFFF]*$"
)


def refuse_control_characters(value: str) -> str:
    """``value`` unchanged, or a ``ValueError`` naming the first refused character."""
    found = _REFUSED_IN_TEXT.search(value)
    if found is not None:
        raise ValueError(
            f"contains the control character U+{ord(found.group()):04X} at position "
            f"{found.start()}; text may hold tabs and line breaks but no other control characters"
        )
    return value


Text = Annotated[
    str,
    AfterValidator(refuse_control_characters),
    Field(json_schema_extra={"pattern": TEXT_PATTERN}),
]
"""Free text written by a caller; add ``Field(min_length=..., max_length=...)`` per field."""

#: Longest URL accepted, counted after normalisation (pydantic's ``HttpUrl`` limit).
MAX_URL_LENGTH: Final = 2083
_HTTP_URL: Final = TypeAdapter(HttpUrl)


def _reads_back(url: HttpUrl) -> HttpUrl:
    """Refuse a URL whose normalised form a reader would not accept as the same URL."""
    normalised = str(url)
    if len(normalised) > MAX_URL_LENGTH:
        raise ValueError(
            f"is {len(normalised)} characters long once normalised; at most {MAX_URL_LENGTH}"
        )
    if str(_HTTP_URL.validate_python(normalised)) != normalised:
        raise ValueError("does not read back as the same URL once normalised")
    return url


WebUrl = Annotated[HttpUrl, AfterValidator(_reads_back)]
"""An http(s) URL whose normalised form is within the limits and parses back to itself."""


def from_storage(model: type[M], data: Any) -> M:
    """``model`` validated from stored ``data``; a refusal raises :class:`StoredDataUnreadable`.

    Pydantic's own ``ValidationError`` would be answered as a 422, as if the caller had
    sent something wrong; stored data that no longer reads is a bug to log and fix.
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_input=False, include_url=False)
        raise StoredDataUnreadable(model.__name__, errors) from None


__all__ = [
    "MAX_URL_LENGTH",
    "TEXT_PATTERN",
    "ApiModel",
    "InputModel",
    "Text",
    "WebUrl",
    "from_storage",
    "refuse_control_characters",
]
