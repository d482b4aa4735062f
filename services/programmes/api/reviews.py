"""``/reviews``: adaptive-management reviews of a programme, and the owner's decision."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path
from pydantic import Field

from services.programmes.api.common import CONFLICT, Context, Decider
from services.programmes.api.readers import READERS, Viewer, audience
from services.programmes.domain.programme import Programme
from services.programmes.domain.reviews import DecisionRequest, Review, ReviewState
from services.programmes.service_layer import reviews as use_cases
from services.programmes.service_layer.commands import DecideReview, FindReview
from shared.contracts.vocabulary import ActivityStatus, ReviewDecision
from shared.http import UtcDateTime
from shared.http.dependencies import ProgrammeIdPath, Runtime
from shared.http.models import ApiModel, InputModel, Text
from shared.http.routes import creates
from shared.need_to_know import NeedToKnow, need_to_know_text, withheld_field, withhold

router = APIRouter(prefix="/programmes/{programmeId}/reviews", tags=["Reviews"])

ReviewIdPath = Annotated[UUID, Path(alias="reviewId", description="The review.")]


class TriggerOut(ApiModel):
    """A finding that opened or joined the review, by the event that brought it."""

    event_id: str
    event_type: str
    source: str
    received_at: UtcDateTime
    critical: bool
    category: str = Field(description="The flag's category, or `risk-assessment`.")
    level: str = Field(description="The flag's severity, or the country's residual rating.")
    flag_id: UUID | None = None
    country_code: str | None = None


class DecisionOut(ApiModel):
    decision: ReviewDecision
    rationale: str | None = need_to_know_text("Why the review was decided so.", READERS)
    changes: list[str] | None = need_to_know_text(
        "For `adapt`: the changes made to the programme.", READERS
    )
    decided_by: str
    decided_at: UtcDateTime
    decided_on: date
    resulting_status: ActivityStatus | None = None
    withheld: list[str] = withheld_field("rationale", "changes")


class ReviewOut(ApiModel):
    review_id: UUID
    programme_id: str
    state: ReviewState
    opened_at: UtcDateTime
    due_date: date
    critical: bool
    disbursements_on_hold: bool
    flag_ids: list[UUID]
    triggers: list[TriggerOut]
    decision: DecisionOut | None = None

    @classmethod
    def of(cls, review: Review, *, shown: bool) -> ReviewOut:
        """The review; its decision's texts only when ``shown`` (else null and named withheld)."""
        d = review.decision
        texts, withheld = withhold(
            shown,
            rationale=None if d is None else d.rationale,
            changes=None if d is None else list(d.changes),
        )
        return cls(
            review_id=review.review_id,
            programme_id=review.programme_id,
            state=review.state,
            opened_at=review.opened_at,
            due_date=review.due_date,
            critical=review.critical,
            disbursements_on_hold=review.holds_disbursements,
            flag_ids=list(review.flag_ids),
            triggers=[
                TriggerOut(
                    event_id=t.origin.event_id,
                    event_type=t.origin.event_type,
                    source=t.origin.source,
                    received_at=t.origin.received_at,
                    critical=t.critical,
                    category=t.category,
                    level=t.level,
                    flag_id=t.flag_id,
                    country_code=t.country_code,
                )
                for t in review.triggers
            ],
            decision=(
                None
                if d is None
                else DecisionOut(
                    decision=d.decision,
                    rationale=texts["rationale"],
                    changes=texts["changes"],
                    decided_by=d.decided_by,
                    decided_at=d.decided_at,
                    decided_on=d.decided_on,
                    resulting_status=d.resulting_status,
                    withheld=withheld,
                )
            ),
        )

    @classmethod
    def seen_by(cls, viewer: NeedToKnow, programme: Programme, review: Review) -> ReviewOut:
        """The review as ``viewer`` may read it; a rationale handed out is noted for audit."""
        d = review.decision
        readers = audience(programme, None if d is None else d.decided_by)
        rationale = None if d is None else d.rationale
        shown = viewer.reveal(readers, f"review/{review.review_id}", rationale)
        return cls.of(review, shown=shown)


class ReviewList(ApiModel):
    items: list[ReviewOut]


class DecisionIn(InputModel):
    """The owner's decision; final once recorded."""

    decision: ReviewDecision
    rationale: Text = Field(
        min_length=1,
        max_length=4000,
        description="Why, about no one in person: no names or details that identify someone "
        "(refused when it carries a date of birth, an address, a phone or identifying number or "
        "an e-mail address).",
    )
    changes: list[Annotated[Text, Field(min_length=1, max_length=500)]] = Field(
        default_factory=list,
        max_length=30,
        description="For `adapt`: the changes made to the programme, about no one in person "
        "(refused like `rationale`).",
    )
    termination_status: ActivityStatus | None = Field(
        default=None, description="For `terminate`: 5 (cancelled) or 3 (finalisation)."
    )


@router.get("", operation_id="listReviews", summary="The programme's reviews, open and decided")
async def list_reviews(
    programme_id: ProgrammeIdPath, viewer: Viewer, runtime: Runtime
) -> ReviewList:
    async with runtime.unit_of_work() as uow:
        programme, found = await use_cases.list_reviews(programme_id, uow)
    return ReviewList(items=[ReviewOut.seen_by(viewer, programme, r) for r in found])


@router.get("/{reviewId}", operation_id="getReview", summary="One review")
async def get_review(
    programme_id: ProgrammeIdPath,
    review_id: ReviewIdPath,
    viewer: Viewer,
    runtime: Runtime,
) -> ReviewOut:
    async with runtime.unit_of_work() as uow:
        programme, review = await use_cases.get_review(FindReview(programme_id, review_id), uow)
    return ReviewOut.seen_by(viewer, programme, review)


@creates(
    router,
    "/{reviewId}/decision",
    "decideReview",
    "Record the owner's decision: continue, adapt, suspend or terminate",
    CONFLICT,
)
async def decide_review(
    programme_id: ProgrammeIdPath,
    review_id: ReviewIdPath,
    body: DecisionIn,
    caller: Decider,
    runtime: Runtime,
    ctx: Context,
) -> ReviewOut:
    """Closes the review (`review-decided`); suspend and terminate also change the status."""
    request = DecisionRequest(
        decision=body.decision,
        rationale=body.rationale,
        decided_by=caller.organisation,
        decided_at=ctx.now(),
        changes=tuple(body.changes),
        termination_status=body.termination_status,
    )
    command = DecideReview(programme_id, review_id, request)
    async with runtime.unit_of_work() as uow:
        decided = await use_cases.decide_review(command, uow, ctx)
    # The deciding organisation's own texts, just written: shown, and no read to note.
    return ReviewOut.of(decided, shown=True)
