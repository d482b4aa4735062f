"""Reviews and their triggers in the database."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.programmes.domain.reviews import (
    Decision,
    OpenReview,
    Origin,
    Review,
    ReviewState,
    Trigger,
    TriggerKey,
)
from services.programmes.storage.tables import ReviewRow, ReviewTriggerRow
from shared.contracts.vocabulary import ActivityStatus, ReviewDecision
from shared.http.times import as_utc


def _trigger_of(row: ReviewTriggerRow) -> Trigger:
    return Trigger(
        origin=Origin(row.source, row.event_id, row.event_type, as_utc(row.received_at)),
        critical=row.critical,
        category=row.category,
        level=row.level,
        flag_id=row.flag_id,
        country_code=row.country_code,
    )


def _review_of(row: ReviewRow) -> Review:
    decision = None
    if row.decision is not None and row.decided_by and row.decided_at:
        decided_at = as_utc(row.decided_at)
        decision = Decision(
            decision=ReviewDecision(row.decision),
            rationale=row.rationale or "",
            decided_by=row.decided_by,
            decided_at=decided_at,
            decided_on=decided_at.date(),
            changes=tuple(row.changes or ()),
            resulting_status=(
                None if row.resulting_status is None else ActivityStatus(row.resulting_status)
            ),
        )
    return Review(
        review_id=row.review_id,
        programme_id=row.programme_id,
        opened_at=as_utc(row.opened_at),
        due_date=row.due_date,
        triggers=tuple(_trigger_of(t) for t in row.triggers),
        decision=decision,
    )


async def reviews_of(session: AsyncSession, programme_id: str) -> list[Review]:
    rows = await session.scalars(
        select(ReviewRow)
        .where(ReviewRow.programme_id == programme_id)
        .order_by(ReviewRow.opened_at)
    )
    return [_review_of(row) for row in rows]


async def get(session: AsyncSession, programme_id: str, review_id: UUID) -> Review | None:
    row = await session.scalar(
        select(ReviewRow).where(
            ReviewRow.programme_id == programme_id, ReviewRow.review_id == review_id
        )
    )
    return None if row is None else _review_of(row)


async def open_review_of(session: AsyncSession, programme_id: str) -> OpenReview | None:
    """The open review's id, due date and hold, without loading its (possibly many) triggers."""
    critical = (
        select(ReviewTriggerRow.seq)
        .where(ReviewTriggerRow.review_id == ReviewRow.review_id, ReviewTriggerRow.critical)
        .exists()
    )
    found = await session.execute(
        select(ReviewRow.review_id, ReviewRow.due_date, critical).where(
            ReviewRow.programme_id == programme_id, ReviewRow.state == ReviewState.OPEN.value
        )
    )
    row = found.first()
    if row is None:
        return None
    review_id, due_date, holds = row
    return OpenReview(review_id=review_id, due_date=due_date, holds_disbursements=bool(holds))


async def has_trigger(session: AsyncSession, programme_id: str, key: TriggerKey) -> bool:
    """Whether this programme has seen the finding ``key``, in an open or decided review.

    One lookup on the unique ``(programme, source, event)`` index, however
    many findings the programme has had.
    """
    source, event_id = key
    found = await session.scalar(
        select(ReviewTriggerRow.seq)
        .where(
            ReviewTriggerRow.programme_id == programme_id,
            ReviewTriggerRow.source == source,
            ReviewTriggerRow.event_id == event_id,
        )
        .limit(1)
    )
    return found is not None


def _trigger_row(programme_id: str, review_id: UUID, trigger: Trigger) -> ReviewTriggerRow:
    return ReviewTriggerRow(
        programme_id=programme_id,
        source=trigger.origin.source,
        event_id=trigger.origin.event_id,
        review_id=review_id,
        event_type=trigger.origin.event_type,
        received_at=trigger.origin.received_at,
        critical=trigger.critical,
        category=trigger.category,
        level=trigger.level,
        flag_id=trigger.flag_id,
        country_code=trigger.country_code,
    )


async def add_review(session: AsyncSession, review: Review) -> None:
    session.add(
        ReviewRow(
            review_id=review.review_id,
            programme_id=review.programme_id,
            state=review.state.value,
            opened_at=review.opened_at,
            due_date=review.due_date,
            triggers=[
                _trigger_row(review.programme_id, review.review_id, t) for t in review.triggers
            ],
        )
    )
    await session.flush()


async def add_trigger(
    session: AsyncSession,
    programme_id: str,
    before: OpenReview,
    after: OpenReview,
    trigger: Trigger,
) -> None:
    """Record a finding that joined the open review: one insert, and the due date if it moved."""
    session.add(_trigger_row(programme_id, after.review_id, trigger))
    if after.due_date != before.due_date:
        await session.execute(
            update(ReviewRow)
            .where(ReviewRow.review_id == after.review_id)
            .values(due_date=after.due_date)
        )
    await session.flush()


async def save_decision(session: AsyncSession, review: Review) -> None:
    decision = review.decision
    assert decision is not None, "only a decided review is saved as decided"
    row = await session.get_one(ReviewRow, review.review_id)
    row.state = ReviewState.DECIDED.value
    row.decision = decision.decision.value
    row.rationale = decision.rationale
    row.changes = list(decision.changes)
    row.decided_by = decision.decided_by
    row.decided_at = decision.decided_at
    row.resulting_status = (
        None if decision.resulting_status is None else int(decision.resulting_status)
    )
    await session.flush()
