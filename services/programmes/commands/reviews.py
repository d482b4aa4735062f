"""Adaptive management: findings open reviews, the owner's decision closes them."""

from __future__ import annotations

import logging
from uuid import UUID

from services.programmes import events
from services.programmes.commands.programmes import change_status, load
from services.programmes.context import ProgrammesContext
from services.programmes.domain.programme import Programme
from services.programmes.domain.reviews import (
    Arrival,
    DecisionRequest,
    Received,
    Review,
    Trigger,
    decide,
    disbursements_stay_on_hold,
    receive,
)
from services.programmes.storage import reviews
from shared.contracts.vocabulary import ActivityStatus
from shared.errors import NotFound
from shared.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


async def receive_finding(
    uow: UnitOfWork,
    ctx: ProgrammesContext,
    programme_id: str,
    status: ActivityStatus,
    trigger: Trigger,
) -> Received:
    """Open a review on the programme for ``trigger``, add it to the open one, or skip it.

    Two keyed lookups (is the finding known, which review is open) and one
    insert: the cost does not grow with the findings the programme already has.
    Only the status is needed to decide; the whole programme is read only when
    a review opens, for the event that announces it.
    """
    open_review = await reviews.open_review_of(uow.session, programme_id)
    received = receive(
        programme_id=programme_id,
        status=status,
        open_review=open_review,
        seen=await reviews.has_trigger(uow.session, programme_id, trigger.key),
        trigger=trigger,
        policy=ctx.review_policy,
    )
    if received.arrival is Arrival.OPENED and received.review is not None:
        await reviews.add_review(uow.session, received.review)
        programme = await load(uow, programme_id)
        await uow.emit(events.review_opened(programme, received.review, ctx.links))
    elif received.arrival is Arrival.JOINED and received.joined and open_review:
        await reviews.add_trigger(uow.session, programme_id, open_review, received.joined, trigger)
    log.info(
        "%s %s on %s: %s",
        trigger.event_type,
        trigger.event_id,
        programme_id,
        received.arrival.value,
    )
    return received


async def record_decision(
    uow: UnitOfWork,
    ctx: ProgrammesContext,
    programme: Programme,
    review_id: UUID,
    request: DecisionRequest,
) -> Review:
    """Close the review with the owner's decision; suspend or terminate moves the status too."""
    review = await reviews.get(uow.session, programme.programme_id, review_id)
    if review is None:
        raise NotFound(f"Programme {programme.programme_id} has no review {review_id}.")
    decided = decide(review, programme.status, request)
    decision = decided.decision
    assert decision is not None
    await reviews.save_decision(uow.session, decided)
    status_after = decision.resulting_status or programme.status
    await uow.emit(
        events.review_decided(
            programme, decided, disbursements_stay_on_hold(status_after), ctx.links
        )
    )
    if decision.resulting_status is not None:
        await change_status(
            uow,
            ctx,
            programme,
            decision.resulting_status,
            changed_by=request.decided_by,
            reason=f"Review decision ({decision.decision.value}): {request.rationale}",
            effective_on=decision.decided_on,
            review_id=review_id,
        )
    return decided
