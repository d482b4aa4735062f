"""Adaptive management: findings open reviews, the owner's decision closes them.

Concurrency: one open review per programme. Every finding is received with
the programme's row locked (``take_flag`` through ``status_of(...,
for_update=True)``, a risk change through ``active_in_country``, which locks
the programmes it finds in id order), so of two concurrent findings the second
reads the review the first opened and joins it. The partial unique index
``uq_review_open_per_programme`` is the backstop: were a path to forget the
lock, its second review would fail instead of standing beside the first.
"""

from __future__ import annotations

import logging

from services.programmes import events
from services.programmes.context import ProgrammesContext
from services.programmes.domain.programme import Programme
from services.programmes.domain.reviews import (
    Arrival,
    Received,
    Review,
    decide,
    disbursements_stay_on_hold,
    flag_trigger,
    receive,
)
from services.programmes.domain.rights import ProgrammeWrite
from services.programmes.service_layer.commands import (
    ChangeStatus,
    DecideReview,
    FindReview,
    ReceiveFinding,
    TakeFlag,
)
from services.programmes.service_layer.programmes import load_owned, load_programme, move
from services.programmes.storage import programmes as store
from services.programmes.storage import reviews
from shared.errors import NotFound
from shared.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


async def receive_finding(
    finding: ReceiveFinding, uow: UnitOfWork, ctx: ProgrammesContext
) -> Received:
    """Open a review on the programme for the finding, add it to the open one, or skip it.

    Two keyed lookups (is the finding known, which review is open) and one
    insert: the cost does not grow with the findings the programme already has.
    Only the status is needed to decide; the whole programme is read only when
    a review opens, for the event that announces it.
    """
    programme_id, trigger = finding.programme_id, finding.trigger
    open_review = await reviews.open_review_of(uow.session, programme_id)
    received = receive(
        programme_id=programme_id,
        status=finding.status,
        open_review=open_review,
        seen=await reviews.has_trigger(uow.session, programme_id, trigger.key),
        trigger=trigger,
        policy=ctx.review_policy,
    )
    if received.arrival is Arrival.OPENED and received.review is not None:
        await reviews.add_review(uow.session, received.review)
        programme = await load_programme(programme_id, uow)
        await uow.emit(events.review_opened(programme, received.review, ctx.links))
    elif received.arrival is Arrival.JOINED and received.joined and open_review:
        await reviews.add_trigger(uow.session, programme_id, open_review, received.joined, trigger)
    log.info(
        "%s %s on %s: %s",
        trigger.origin.event_type,
        trigger.origin.event_id,
        programme_id,
        received.arrival.value,
    )
    return received


async def take_flag(command: TakeFlag, uow: UnitOfWork, ctx: ProgrammesContext) -> Received:
    """Monitoring flagged a programme: the flag is a finding on it (404 for an unknown one)."""
    status = await store.status_of(uow.session, command.programme_id, for_update=True)
    if status is None:
        raise NotFound(f"There is no programme {command.programme_id}.")
    trigger = flag_trigger(
        command.origin,
        flag_id=command.flag_id,
        category=command.category,
        severity=command.severity,
        recommends_hold=command.recommends_hold,
    )
    return await receive_finding(ReceiveFinding(command.programme_id, status, trigger), uow, ctx)


async def list_reviews(programme_id: str, uow: UnitOfWork) -> tuple[Programme, list[Review]]:
    """The programme's reviews, open and decided, with the programme (its people read them)."""
    programme = await load_programme(programme_id, uow)
    return programme, await reviews.reviews_of(uow.session, programme_id)


async def get_review(query: FindReview, uow: UnitOfWork) -> tuple[Programme, Review]:
    programme = await load_programme(query.programme_id, uow)
    review = await reviews.get(uow.session, query.programme_id, query.review_id)
    if review is None:
        raise NotFound(f"Programme {query.programme_id} has no review {query.review_id}.")
    return programme, review


async def decide_review(command: DecideReview, uow: UnitOfWork, ctx: ProgrammesContext) -> Review:
    """Close the review with the owner's decision; suspend or terminate moves the status too."""
    request = command.request
    programme = await load_owned(
        command.programme_id, request.decided_by, ProgrammeWrite.REVIEW_DECISION, uow
    )
    review = await reviews.get(uow.session, programme.programme_id, command.review_id)
    if review is None:
        raise NotFound(f"Programme {programme.programme_id} has no review {command.review_id}.")
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
        change = ChangeStatus(
            programme_id=programme.programme_id,
            organisation=request.decided_by,
            status=decision.resulting_status,
            reason=f"Review decision ({decision.decision.value}): {request.rationale}",
            effective_on=decision.decided_on,
            review_id=command.review_id,
        )
        await move(programme, change, uow, ctx)
    return decided
