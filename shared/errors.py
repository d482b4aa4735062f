"""Why a service refuses a change: one set of errors for the four domains.

A use case raises one of these before its unit of work commits, so a refusal
changes no state and emits no event. Each kind carries the HTTP status callers
expect, and ``shared.http.errors`` turns any of them into a problem document
once, for every service:

- :class:`InvalidInput` (422): the values break a rule; it names each field;
- :class:`Forbidden` (403): the caller's organisation may not do this; the
  detail says who may;
- :class:`NotFound` (404): there is no such thing (or the caller may not know it);
- :class:`Conflict` (409): the current state does not allow the change.

The errors are plain exceptions with no HTTP import: the domain raises them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, NoReturn


@dataclass(frozen=True)
class Violation:
    """One broken rule: the field (camelCase path, as the caller sent it) and why.

    ``location`` says where the field was: in the body, the query or the path.
    """

    field: str
    reason: str
    location: str = "body"


class DomainError(Exception):
    """A rule was broken; nothing was changed."""

    status: ClassVar[int] = 422
    title: ClassVar[str] = "Rule violated"

    def __init__(self, detail: str, violations: Sequence[Violation] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.violations = tuple(violations)


class InvalidInput(DomainError):
    """The values break a rule; every offending field is named."""

    status = 422
    title = "Invalid input"

    @classmethod
    def of(cls, violations: Sequence[Violation]) -> InvalidInput:
        fields = ", ".join(dict.fromkeys(v.field for v in violations))
        reasons = "; ".join(f"{v.field}: {v.reason}" for v in violations)
        return cls(f"The request breaks the rules for: {fields}. {reasons}", violations)


class Forbidden(DomainError):
    """The caller's organisation may not make this change; the detail says who may."""

    status = 403
    title = "Forbidden"


class NotFound(DomainError):
    """The resource does not exist, or is another organisation's and so not confirmed."""

    status = 404
    title = "Not Found"


class Conflict(DomainError):
    """The resource's current state does not allow the change."""

    status = 409
    title = "Conflict with the current state"


def raise_if(violations: Sequence[Violation]) -> None:
    """Raise :class:`InvalidInput` listing every violation, if there is any."""
    if violations:
        invalid(violations)


def invalid(violations: Sequence[Violation]) -> NoReturn:
    """Raise :class:`InvalidInput` for ``violations``, which the caller knows are there."""
    raise InvalidInput.of(violations)
