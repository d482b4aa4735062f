"""Why monitoring refuses a request; the API turns these into problem documents.

A value that breaks a rule is ``invalid`` (422, naming each offending field); a
missing resource is ``not found`` (404); a caller reporting on a programme it
neither owns nor takes part in is ``forbidden`` (403, see ``domain/rights.py``).
Raising any of them before the unit of work commits means nothing is stored and
nothing is published.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Violation:
    """One broken rule: the field (camelCase path, as the caller sent it) and why."""

    field: str
    reason: str


class DomainError(Exception):
    title = "Rule violated"

    def __init__(self, detail: str, violations: Sequence[Violation] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.violations = tuple(violations)


class InvalidInput(DomainError):
    title = "Invalid input"

    @classmethod
    def of(cls, violations: Sequence[Violation]) -> InvalidInput:
        fields = ", ".join(dict.fromkeys(v.field for v in violations))
        reasons = "; ".join(f"{v.field}: {v.reason}" for v in violations)
        return cls(f"The request has invalid fields ({fields}). {reasons}", violations)


class NotFound(DomainError):
    title = "Not Found"


class Forbidden(DomainError):
    """The caller's organisation may not make this change; the detail says who may."""

    title = "Forbidden"


def raise_if(violations: Sequence[Violation]) -> None:
    """Raise :class:`InvalidInput` listing every violation, if there is any."""
    if violations:
        raise InvalidInput.of(violations)
