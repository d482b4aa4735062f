"""Adaptive-management reviews: what opens one, what joins it, what a decision does."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import uuid4

import pytest

from services.programmes.domain.reviews import (
    Arrival,
    DecisionRequest,
    OpenReview,
    Origin,
    Received,
    Review,
    ReviewPolicy,
    ReviewState,
    Trigger,
    decide,
    disbursements_stay_on_hold,
    flag_trigger,
    receive,
    risk_opens_review,
    risk_trigger,
)
from shared.contracts.vocabulary import (
    ActivityStatus,
    AssessmentOutcome,
    ReviewDecision,
    RiskRating,
    Severity,
)
from shared.errors import Conflict, InvalidInput
from tests.programmes.factories import NOW

MONITORING = "urn:nld:oin:00000000000000000000:systeem:monitoring"
COUNTRIES = "urn:nld:oin:00000000000000000000:systeem:countries"
FLAGGED = "nl.migratiesamenwerking.monitoring.programme-flagged"
ASSESSED = "nl.migratiesamenwerking.countries.human-rights-risk-assessed"
POLICY = ReviewPolicy(due_days=30, critical_due_days=14)


def flag(severity: Severity = Severity.HIGH, *, hold: bool = False, at: datetime = NOW) -> Trigger:
    return flag_trigger(
        Origin(source=MONITORING, event_id=str(uuid4()), event_type=FLAGGED, received_at=at),
        flag_id=uuid4(),
        category="counterproductive",
        severity=severity,
        recommends_hold=hold,
    )


def receive_at(
    trigger: Trigger,
    *,
    status: ActivityStatus = ActivityStatus.IMPLEMENTATION,
    open_review: Review | None = None,
    seen: bool = False,
) -> Received:
    return receive(
        programme_id="prg-2026-0001",
        status=status,
        open_review=None if open_review is None else as_open(open_review),
        seen=seen,
        trigger=trigger,
        policy=POLICY,
    )


def arrive(
    trigger: Trigger,
    *,
    status: ActivityStatus = ActivityStatus.IMPLEMENTATION,
    open_review: Review | None = None,
    seen: bool = False,
) -> tuple[Arrival, Review | None]:
    received = receive_at(trigger, status=status, open_review=open_review, seen=seen)
    return received.arrival, received.review


def as_open(review: Review) -> OpenReview:
    return OpenReview(review_id=review.review_id, due_date=review.due_date)


def test_a_flag_opens_a_review_due_in_thirty_days() -> None:
    trigger = flag()
    arrival, review = arrive(trigger)
    assert arrival is Arrival.OPENED and review is not None
    assert review.state is ReviewState.OPEN
    assert review.triggers == (trigger,)
    assert review.flag_ids == (trigger.flag_id,)
    assert review.due_date == NOW.date() + timedelta(days=30)
    assert not review.critical and not review.holds_disbursements


@pytest.mark.parametrize(
    ("severity", "hold", "critical"),
    [
        (Severity.LOW, False, False),
        (Severity.HIGH, False, False),
        (Severity.HIGH, True, True),
        (Severity.CRITICAL, False, True),
    ],
)
def test_a_critical_flag_holds_disbursements(
    severity: Severity, hold: bool, critical: bool
) -> None:
    _, review = arrive(flag(severity, hold=hold))
    assert review is not None
    assert review.critical is critical
    assert review.holds_disbursements is critical
    days = 14 if critical else 30
    assert review.due_date == NOW.date() + timedelta(days=days)


def test_the_same_finding_twice_never_opens_a_second_review() -> None:
    trigger = flag()
    _, review = arrive(trigger)
    assert review is not None
    arrival, unchanged = arrive(trigger, open_review=review, seen=True)
    assert arrival is Arrival.DUPLICATE and unchanged is None


def test_a_replayed_finding_does_not_reopen_a_decided_review() -> None:
    trigger = flag()
    arrival, review = arrive(trigger, open_review=None, seen=True)
    assert arrival is Arrival.DUPLICATE and review is None


def test_a_new_finding_joins_the_open_review_and_a_critical_one_expedites_it() -> None:
    _, review = arrive(flag())
    assert review is not None
    later = NOW + timedelta(days=3)
    received = receive_at(flag(Severity.CRITICAL, at=later), open_review=review)
    assert received.arrival is Arrival.JOINED and received.review is None
    assert received.joined == OpenReview(review.review_id, later.date() + timedelta(days=14))


def test_a_minor_finding_joins_the_open_review_without_moving_its_due_date() -> None:
    _, review = arrive(flag(Severity.CRITICAL))
    assert review is not None
    received = receive_at(flag(Severity.LOW, at=NOW + timedelta(days=3)), open_review=review)
    assert received.arrival is Arrival.JOINED
    assert received.joined == as_open(review)


def test_findings_about_an_ended_programme_are_set_aside() -> None:
    for status in (ActivityStatus.CLOSED, ActivityStatus.CANCELLED):
        assert arrive(flag(), status=status) == (Arrival.PROGRAMME_ENDED, None)


@pytest.mark.parametrize(
    ("residual", "previous", "opens"),
    [
        (RiskRating.HIGH, None, True),
        (RiskRating.HIGH, RiskRating.MEDIUM, True),
        (RiskRating.VERY_HIGH, RiskRating.HIGH, True),
        (RiskRating.HIGH, RiskRating.HIGH, False),
        (RiskRating.HIGH, RiskRating.VERY_HIGH, False),
        (RiskRating.MEDIUM, RiskRating.LOW, False),
        (RiskRating.LOW, RiskRating.VERY_HIGH, False),
    ],
)
def test_a_risk_opens_reviews_when_it_becomes_high(
    residual: RiskRating, previous: RiskRating | None, opens: bool
) -> None:
    assert risk_opens_review(residual, previous) is opens


@pytest.mark.parametrize(
    ("residual", "outcome", "critical"),
    [
        (RiskRating.HIGH, AssessmentOutcome.PROCEED_WITH_MITIGATION, False),
        (RiskRating.HIGH, AssessmentOutcome.WITHHOLD, True),
        (RiskRating.VERY_HIGH, AssessmentOutcome.PROCEED, True),
    ],
)
def test_very_high_risk_or_withhold_is_critical(
    residual: RiskRating, outcome: AssessmentOutcome, critical: bool
) -> None:
    trigger = risk_trigger(
        Origin(source=COUNTRIES, event_id=str(uuid4()), event_type=ASSESSED, received_at=NOW),
        country_code="TUN",
        residual=residual,
        outcome=outcome,
    )
    assert trigger.critical is critical
    assert (trigger.category, trigger.level, trigger.country_code) == (
        "risk-assessment",
        residual.value,
        "TUN",
    )


def open_review(critical: bool = True) -> Review:
    _, review = arrive(flag(Severity.CRITICAL if critical else Severity.MEDIUM))
    assert review is not None
    return review


def request(decision: ReviewDecision, **kwargs: object) -> DecisionRequest:
    return DecisionRequest(
        decision=decision,
        rationale="Findings discussed with IOM and the embassy.",
        decided_by="am",
        decided_at=NOW,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("status", "decision", "extra", "resulting"),
    [
        (ActivityStatus.IMPLEMENTATION, ReviewDecision.CONTINUE, {}, None),
        (ActivityStatus.IMPLEMENTATION, ReviewDecision.ADAPT, {"changes": ("Drop x",)}, None),
        (ActivityStatus.IMPLEMENTATION, ReviewDecision.SUSPEND, {}, ActivityStatus.SUSPENDED),
        (ActivityStatus.SUSPENDED, ReviewDecision.SUSPEND, {}, None),
        (
            ActivityStatus.IMPLEMENTATION,
            ReviewDecision.TERMINATE,
            {"termination_status": ActivityStatus.CANCELLED},
            ActivityStatus.CANCELLED,
        ),
        (
            ActivityStatus.SUSPENDED,
            ReviewDecision.TERMINATE,
            {"termination_status": ActivityStatus.FINALISATION},
            ActivityStatus.FINALISATION,
        ),
    ],
)
def test_a_decision_closes_the_review(
    status: ActivityStatus,
    decision: ReviewDecision,
    extra: dict[str, object],
    resulting: ActivityStatus | None,
) -> None:
    decided = decide(open_review(), status, request(decision, **extra))
    assert decided.state is ReviewState.DECIDED
    assert not decided.holds_disbursements
    assert decided.decision is not None
    assert decided.decision.resulting_status is resulting
    assert decided.decision.decided_on == date(2026, 3, 2)


def test_a_decision_is_final() -> None:
    decided = decide(open_review(), ActivityStatus.IMPLEMENTATION, request(ReviewDecision.CONTINUE))
    with pytest.raises(Conflict, match="final"):
        decide(decided, ActivityStatus.IMPLEMENTATION, request(ReviewDecision.ADAPT))


@pytest.mark.parametrize(
    ("decision", "extra", "field"),
    [
        (ReviewDecision.ADAPT, {}, "changes"),
        (ReviewDecision.CONTINUE, {"changes": ("Something",)}, "changes"),
        (ReviewDecision.TERMINATE, {}, "terminationStatus"),
        (
            ReviewDecision.TERMINATE,
            {"termination_status": ActivityStatus.CLOSED},
            "terminationStatus",
        ),
        (
            ReviewDecision.SUSPEND,
            {"termination_status": ActivityStatus.CANCELLED},
            "terminationStatus",
        ),
    ],
)
def test_a_decision_must_be_complete(
    decision: ReviewDecision, extra: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        decide(open_review(), ActivityStatus.IMPLEMENTATION, request(decision, **extra))
    assert [v.field for v in refused.value.violations] == [field]


def test_a_decision_obeys_the_state_machine() -> None:
    with pytest.raises(Conflict):
        decide(open_review(), ActivityStatus.FINALISATION, request(ReviewDecision.SUSPEND))
    with pytest.raises(Conflict):
        decide(
            open_review(),
            ActivityStatus.PIPELINE,
            request(ReviewDecision.TERMINATE, termination_status=ActivityStatus.FINALISATION),
        )


def test_disbursements_resume_only_where_they_can_be_booked() -> None:
    assert not disbursements_stay_on_hold(ActivityStatus.IMPLEMENTATION)
    assert not disbursements_stay_on_hold(ActivityStatus.FINALISATION)
    assert disbursements_stay_on_hold(ActivityStatus.SUSPENDED)
    assert disbursements_stay_on_hold(ActivityStatus.CANCELLED)
