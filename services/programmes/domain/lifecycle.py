"""The programme lifecycle: an explicit state machine over the IATI activity statuses.

A programme is registered in the pipeline, approved into implementation, may
be suspended and resumed, and ends closed (after finalisation) or cancelled.
Every legal move is in :data:`TRANSITIONS`; anything else is refused, and every
move that happens is recorded with who made it, when and why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final
from uuid import UUID

from shared.contracts.vocabulary import ACTIVE_STATUSES, ActivityStatus
from shared.errors import Conflict

PIPELINE = ActivityStatus.PIPELINE
IMPLEMENTATION = ActivityStatus.IMPLEMENTATION
FINALISATION = ActivityStatus.FINALISATION
CLOSED = ActivityStatus.CLOSED
CANCELLED = ActivityStatus.CANCELLED
SUSPENDED = ActivityStatus.SUSPENDED

#: Every legal transition: from a status to the statuses it may move to.
TRANSITIONS: Final[Mapping[ActivityStatus, frozenset[ActivityStatus]]] = {
    # Approval, or the idea is dropped before any money moves.
    PIPELINE: frozenset({IMPLEMENTATION, CANCELLED}),
    # Running: wind down, pause (e.g. a review's decision), or stop outright.
    IMPLEMENTATION: frozenset({FINALISATION, SUSPENDED, CANCELLED}),
    # Paused: resume, wind down, or stop.
    SUSPENDED: frozenset({IMPLEMENTATION, FINALISATION, CANCELLED}),
    # Activities done, finances being settled: only closing remains.
    FINALISATION: frozenset({CLOSED}),
    CLOSED: frozenset(),
    CANCELLED: frozenset(),
}

#: Statuses in which a programme still acts in its countries: risk reviews open on these.
ACTIVE: Final = ACTIVE_STATUSES

#: Statuses a programme never leaves.
TERMINAL: Final = frozenset({CLOSED, CANCELLED})

#: The statuses a `terminate` review decision may end a programme in.
TERMINATION_STATUSES: Final = frozenset({CANCELLED, FINALISATION})

#: Lower-case names for people and URLs; the IATI code is the value on the wire.
STATUS_NAMES: Final[Mapping[ActivityStatus, str]] = {
    PIPELINE: "pipeline",
    IMPLEMENTATION: "implementation",
    FINALISATION: "finalisation",
    CLOSED: "closed",
    CANCELLED: "cancelled",
    SUSPENDED: "suspended",
}


def allowed_from(status: ActivityStatus) -> frozenset[ActivityStatus]:
    return TRANSITIONS[status]


def check_transition(current: ActivityStatus, target: ActivityStatus) -> None:
    """Refuse a move the state machine does not allow (a :class:`Conflict`)."""
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(f"{s.value} ({STATUS_NAMES[s]})" for s in sorted(TRANSITIONS[current]))
        raise Conflict(
            f"A programme cannot move from {current.value} ({STATUS_NAMES[current]}) to "
            f"{target.value} ({STATUS_NAMES[target]}); "
            + (f"allowed: {allowed}." if allowed else "it is final.")
        )


@dataclass(frozen=True)
class Transition:
    """One move of the lifecycle: who made it, when, why, and from what it followed."""

    transition_id: UUID
    programme_id: str
    from_status: ActivityStatus
    to_status: ActivityStatus
    effective_on: date
    changed_by: str
    recorded_at: datetime
    reason: str
    review_id: UUID | None = None

    @property
    def is_approval(self) -> bool:
        return self.from_status is PIPELINE and self.to_status is IMPLEMENTATION
