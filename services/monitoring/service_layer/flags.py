"""Raising and resolving flags: the one place a rule's finding becomes a flag and an event.

A finding whose flag exists already, open or resolved, raises nothing (the id
derives from rule, programme and evidence), so replays and redeliveries never
flag twice. A review decision resolves the open flags of its programme it names.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from uuid import UUID

from services.monitoring import events
from services.monitoring.context import MonitoringContext
from services.monitoring.domain.flags import Flag
from services.monitoring.domain.programmes import Programme
from services.monitoring.domain.rules import Evidence, Finding
from services.monitoring.service_layer.commands import FlagQuery, TakeReviewDecision
from services.monitoring.service_layer.programmes import announced
from services.monitoring.service_layer.reading import Listing
from services.monitoring.storage import flags, programmes
from shared.contracts.monitoring import EvidenceRef
from shared.contracts.vocabulary import EventRef
from shared.errors import NotFound
from shared.unit_of_work import UnitOfWork

#: Where a piece of evidence lives (its absolute URL).
Locate = Callable[[Evidence], str]


async def raise_flags(
    uow: UnitOfWork,
    ctx: MonitoringContext,
    programme: Programme,
    findings: Sequence[Finding],
    *,
    locate: Locate | None = None,
    event: EventRef | None = None,
) -> list[UUID]:
    """A flag and a ``programme-flagged`` per finding not flagged before; their ids.

    Evidence is monitoring's own unless ``locate`` says where it lives;
    ``event`` is the event that brought it in, when there was one.
    """
    where = locate or (lambda e: ctx.links.evidence(e.kind, e.resource_id))
    raised = []
    for finding in findings:
        if await flags.exists(uow.session, finding.flag_id(programme.programme_id)):
            continue  # the same evidence never flags twice
        evidence = tuple(
            EvidenceRef(kind=e.kind, resource_id=e.resource_id, url=where(e), event=event)
            for e in finding.verdict.evidence
        )
        flag = Flag.raised(finding, programme.programme_id, evidence, ctx.now())
        await flags.add(uow.session, flag)
        await uow.emit(events.programme_flagged(programme, flag, ctx.links))
        raised.append(flag.flag_id)
    return raised


async def take_review_decision(
    command: TakeReviewDecision, uow: UnitOfWork, ctx: MonitoringContext
) -> list[UUID]:
    """Close the programme's open flags the review answered; ``flag-resolved`` for each."""
    programme = await announced(command.news, uow)
    await programmes.save(uow.session, programme, now=ctx.now())
    resolved = []
    for flag_id in command.flag_ids:
        flag = await flags.get(uow.session, flag_id)
        if flag is None or not flag.answered_by_review_of(programme.programme_id):
            continue
        flag = flag.resolved_by_review(command.review_id, command.decision, ctx.now())
        await flags.resolve(uow.session, flag)
        await uow.emit(events.flag_resolved(programme, flag, ctx.links))
        resolved.append(flag_id)
    return resolved


async def get_flag(flag_id: UUID, uow: UnitOfWork) -> Flag:
    flag = await flags.get(uow.session, flag_id)
    if flag is None:
        raise NotFound(f"No flag {flag_id}.")
    return flag


async def list_flags(query: FlagQuery, uow: UnitOfWork) -> Listing[Flag]:
    found, total = await flags.page(
        uow.session,
        programme_id=query.programme_id,
        state=query.state,
        category=query.category,
        offset=query.window.offset,
        limit=query.window.limit,
    )
    return Listing(found, total)
