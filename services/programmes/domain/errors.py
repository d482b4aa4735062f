"""Why the registry refuses a change; the API turns these into problem documents.

The three kinds map onto HTTP as callers expect: a value that breaks a rule is
``invalid`` (422, naming each offending field), a change the programme's
current state does not allow is a ``conflict`` (409), and a caller acting on a
programme it does not own is ``forbidden`` (403). Raising any of them before the
unit of work commits means no state change and no event.
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
    """A rule of the registry was broken; nothing was changed."""

    title = "Rule violated"

    def __init__(self, detail: str, violations: Sequence[Violation] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.violations = tuple(violations)


class InvalidInput(DomainError):
    """The values break a rule (percentages, codes, the ODA rule, the budget)."""

    title = "Invalid input"

    @classmethod
    def of(cls, violations: Sequence[Violation]) -> InvalidInput:
        fields = ", ".join(dict.fromkeys(v.field for v in violations))
        reasons = "; ".join(f"{v.field}: {v.reason}" for v in violations)
        return cls(f"The request breaks the registry's rules ({fields}). {reasons}", violations)


class Conflict(DomainError):
    """The programme's or review's current state does not allow the change."""

    title = "Conflict with the current state"


class Forbidden(DomainError):
    """The caller may not change this programme."""

    title = "Forbidden"


def raise_if(violations: Sequence[Violation]) -> None:
    """Raise :class:`InvalidInput` listing every violation, if there is any."""
    if violations:
        raise InvalidInput.of(violations)


class NotFound(DomainError):
    """The programme or review does not exist."""

    title = "Not Found"
