"""Adaptive-management reviews: opened by findings, closed by the owner's decision.

A review opens on a programme when monitoring flags it (``programme-flagged``,
any category) or when the residual human-rights risk of one of its recipient
countries rises to high or very high. A programme has at most one open review:
findings that arrive while it is open are added to it. Each finding is known by
its event's ``(source, id)``; one seen before (a duplicate or a replay) never
opens or joins a review again.

While an open review has a *critical* trigger, new disbursements are on hold.
The owning ministry decides: continue, adapt (naming the changes), suspend
(status suspended) or terminate (status cancelled or finalisation). The
decision closes the review and is final.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from uuid import UUID, uuid4

from services.programmes.domain import lifecycle
from services.programmes.domain.programme import Programme
from shared.contracts.vocabulary import (
    ActivityStatus,
    AssessmentOutcome,
    ReviewDecision,
    RiskRating,
    Severity,
)
from shared.errors import Conflict, Violation, raise_if
from shared.personal_data import refusals

TriggerKey = tuple[str, str]
"""A finding's event by CloudEvents ``(source, id)``: unique across all producers."""

#: Residual ratings that open a review when a recipient country reaches them.
HIGH_RISK = frozenset({RiskRating.HIGH, RiskRating.VERY_HIGH})


class ReviewState(StrEnum):
    OPEN = "open"
    DECIDED = "decided"


@dataclass(frozen=True)
class ReviewPolicy:
    """How long the owner has to decide: shorter when a trigger is critical."""

    due_days: int = 30
    critical_due_days: int = 14

    def due(self, opened: date, critical: bool) -> date:
        return opened + timedelta(days=self.critical_due_days if critical else self.due_days)


@dataclass(frozen=True)
class Origin:
    """The event that brought a finding: its CloudEvents source, id and type, and its arrival."""

    source: str
    event_id: str
    event_type: str
    received_at: datetime


@dataclass(frozen=True)
class Trigger:
    """A finding that caused or joined a review: the event that brought it, and what it says."""

    origin: Origin
    critical: bool
    #: What the finding says, in closed vocabulary: the flag's category or `risk-assessment`.
    category: str
    #: The flag's severity or the country's residual rating.
    level: str
    flag_id: UUID | None = None
    country_code: str | None = None

    @property
    def key(self) -> TriggerKey:
        return (self.origin.source, self.origin.event_id)


def flag_trigger(
    origin: Origin,
    *,
    flag_id: UUID,
    category: str,
    severity: Severity,
    recommends_hold: bool,
) -> Trigger:
    """A monitoring flag: critical when its severity is critical or its rule advises a hold."""
    critical = severity is Severity.CRITICAL or recommends_hold
    return Trigger(
        origin, critical=critical, category=category, level=severity.value, flag_id=flag_id
    )


def risk_opens_review(residual: RiskRating, previous: RiskRating | None) -> bool:
    """True when the residual risk *becomes* high or very high, or rises within that band.

    A reassessment that confirms the same rating opens nothing: the earlier
    rise already did, and its review is where the owner answered it.
    """
    return residual in HIGH_RISK and (previous is None or residual.rank > previous.rank)


def risk_trigger(
    origin: Origin, *, country_code: str, residual: RiskRating, outcome: AssessmentOutcome
) -> Trigger:
    """A country's risk assessment: critical at very high, or when it says to withhold."""
    critical = residual is RiskRating.VERY_HIGH or outcome is AssessmentOutcome.WITHHOLD
    return Trigger(
        origin,
        critical=critical,
        category="risk-assessment",
        level=residual.value,
        country_code=country_code,
    )


@dataclass(frozen=True)
class Decision:
    """What the owner decided, who, when and why; and the status it led to, if any."""

    decision: ReviewDecision
    rationale: str
    decided_by: str
    decided_at: datetime
    decided_on: date
    changes: tuple[str, ...] = ()
    resulting_status: ActivityStatus | None = None


@dataclass(frozen=True)
class Review:
    review_id: UUID
    programme_id: str
    opened_at: datetime
    due_date: date
    triggers: tuple[Trigger, ...]
    decision: Decision | None = None

    @property
    def state(self) -> ReviewState:
        return ReviewState.OPEN if self.decision is None else ReviewState.DECIDED

    @property
    def critical(self) -> bool:
        return any(trigger.critical for trigger in self.triggers)

    @property
    def holds_disbursements(self) -> bool:
        """New disbursements wait while this review is open with a critical trigger."""
        return self.decision is None and self.critical

    @property
    def flag_ids(self) -> tuple[UUID, ...]:
        return tuple(t.flag_id for t in self.triggers if t.flag_id is not None)


@dataclass(frozen=True)
class ProgrammeStanding:
    """A programme with the review open on it, if any: whether its disbursements wait."""

    programme: Programme
    open_review: OpenReview | None = None

    @property
    def disbursements_on_hold(self) -> bool:
        return self.open_review is not None and self.open_review.holds_disbursements

    @property
    def open_review_id(self) -> UUID | None:
        return None if self.open_review is None else self.open_review.review_id


class Arrival(StrEnum):
    """What became of a finding that reached a programme."""

    OPENED = "opened"
    JOINED = "joined"
    DUPLICATE = "duplicate"
    PROGRAMME_ENDED = "programme-ended"


@dataclass(frozen=True)
class OpenReview:
    """The open review as a new finding sees it: which one, and when it is due.

    Not its triggers: a programme flagged on every result gathers many, and a
    finding only adds one, so reading them all would make each finding cost
    more than the last.
    """

    review_id: UUID
    due_date: date
    #: A critical finding is among its triggers: new disbursements wait (see ``Review``).
    holds_disbursements: bool = False


@dataclass(frozen=True)
class Received:
    """What became of a finding: the review it opened, or the open one it joined."""

    arrival: Arrival
    #: The new review (``OPENED``), with the finding as its one trigger.
    review: Review | None = None
    #: The open review with its due date after the finding (``JOINED``).
    joined: OpenReview | None = None


def receive(
    *,
    programme_id: str,
    status: ActivityStatus,
    open_review: OpenReview | None,
    seen: bool,
    trigger: Trigger,
    policy: ReviewPolicy,
) -> Received:
    """Open a review for ``trigger``, add it to the open one, or ignore it.

    ``seen`` says whether this programme has had the trigger's key before, in
    any review, open or decided: a replayed finding must not reopen a decided one.
    """
    if seen:
        return Received(Arrival.DUPLICATE)
    if status in lifecycle.TERMINAL:
        return Received(Arrival.PROGRAMME_ENDED)
    if open_review is not None:
        return Received(Arrival.JOINED, joined=join(open_review, trigger, policy))
    review = Review(
        review_id=uuid4(),
        programme_id=programme_id,
        opened_at=trigger.origin.received_at,
        due_date=policy.due(trigger.origin.received_at.date(), trigger.critical),
        triggers=(trigger,),
    )
    return Received(Arrival.OPENED, review)


def join(open_review: OpenReview, trigger: Trigger, policy: ReviewPolicy) -> OpenReview:
    """The open review once ``trigger`` joined it: a critical finding may bring it forward."""
    due = open_review.due_date
    if trigger.critical:
        due = min(due, policy.due(trigger.origin.received_at.date(), critical=True))
    return replace(open_review, due_date=due)


@dataclass(frozen=True)
class DecisionRequest:
    decision: ReviewDecision
    rationale: str
    decided_by: str
    decided_at: datetime
    changes: tuple[str, ...] = ()
    termination_status: ActivityStatus | None = None


def decide(review: Review, status: ActivityStatus, request: DecisionRequest) -> Review:
    """The review closed by ``request``; refused when it is decided already or breaks a rule."""
    if review.decision is not None:
        raise Conflict(
            f"Review {review.review_id} was decided on {review.decision.decided_on} "
            f"({review.decision.decision.value}); a decision is final."
        )
    violations: list[Violation] = []
    adapt = request.decision is ReviewDecision.ADAPT
    terminate = request.decision is ReviewDecision.TERMINATE
    if adapt and not request.changes:
        violations.append(Violation("changes", "an adapt decision names the changes"))
    if request.changes and not adapt:
        violations.append(Violation("changes", "only an adapt decision lists changes"))
    if terminate and request.termination_status not in lifecycle.TERMINATION_STATUSES:
        violations.append(
            Violation("terminationStatus", "terminate ends in 5 (cancelled) or 3 (finalisation)")
        )
    if request.termination_status is not None and not terminate:
        violations.append(Violation("terminationStatus", "only a terminate decision sets it"))
    # The rationale is repeated in a status change's reason and read across ministries.
    texts = {"rationale": request.rationale}
    texts |= {f"changes[{i}]": change for i, change in enumerate(request.changes)}
    violations += refusals(texts, Violation)
    raise_if(violations)
    target: ActivityStatus | None = None
    if request.decision is ReviewDecision.SUSPEND and status is not lifecycle.SUSPENDED:
        target = lifecycle.SUSPENDED
    elif terminate:
        target = request.termination_status
    if target is not None:
        lifecycle.check_transition(status, target)
    decision = Decision(
        decision=request.decision,
        rationale=request.rationale,
        decided_by=request.decided_by,
        decided_at=request.decided_at,
        decided_on=request.decided_at.date(),
        changes=request.changes,
        resulting_status=target,
    )
    return replace(review, decision=decision)


def disbursements_stay_on_hold(status_after: ActivityStatus) -> bool:
    """After a decision, disbursements can only resume in a status that books them."""
    return status_after not in (lifecycle.IMPLEMENTATION, lifecycle.FINALISATION)
