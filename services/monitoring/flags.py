"""Raising and resolving flags: the one place a rule's verdict becomes a flag and an event.

A flag's id is derived from rule, programme and evidence
(:func:`~services.monitoring.domain.rules.flag_id`); a verdict whose flag
already exists, open or resolved, raises nothing. Replaying every topic from
the start therefore yields the same flags, and redelivered events none extra.

A flag can put another ministry's disbursements on hold, so evidence reported
over HTTP passes :func:`check_reporter` first (who may:
:mod:`services.monitoring.domain.rights`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar
from uuid import UUID

from services.monitoring.context import MonitoringContext
from services.monitoring.domain.rights import Evidence as ReportedEvidence
from services.monitoring.domain.rights import refusal
from services.monitoring.domain.rules import Evidence, Rule, Verdict, flag_id
from services.monitoring.storage.programmes import ProgrammeView
from services.monitoring.storage.tables import FlagRow
from shared.contracts.monitoring import EvidenceRef, FlagResolved, ProgrammeFlagged
from shared.contracts.vocabulary import (
    EventRef,
    EvidenceKind,
    FlagCategory,
    FlagResolution,
    ReviewDecision,
)
from shared.errors import Forbidden
from shared.unit_of_work import UnitOfWork

F = TypeVar("F")
OPEN = "open"
RESOLVED = "resolved"


def evidence_url(ctx: MonitoringContext, evidence: Evidence) -> str:
    """Where monitoring's own evidence lives; risk assessments live at countries."""
    if evidence.kind is EvidenceKind.INDICATOR_RESULT:
        return ctx.links.result(evidence.resource_id)
    if evidence.kind is EvidenceKind.EVALUATION:
        return ctx.links.evaluation(evidence.resource_id)
    if evidence.kind is EvidenceKind.INCIDENT:
        return ctx.links.incident(evidence.resource_id)
    raise ValueError(f"no local URL for {evidence.kind}")


def check_reporter(programme: ProgrammeView, organisation: str, what: ReportedEvidence) -> None:
    """Refuse (403) evidence from an organisation neither owning nor taking part in ``programme``.

    Called by every use case that records evidence, after the programme is
    known: an unknown programme stays the 422 it is.
    """
    reason = refusal(
        what,
        programme_id=programme.programme_id,
        owner=programme.owning_organisation,
        partners=programme.partner_organisations,
        caller=organisation,
    )
    if reason is not None:
        raise Forbidden(reason)


async def raise_flags(
    uow: UnitOfWork,
    ctx: MonitoringContext,
    programme: ProgrammeView,
    rule: Rule[F],
    verdicts: Sequence[Verdict],
    *,
    url_of: Callable[[Evidence], str] | None = None,
    event: EventRef | None = None,
) -> list[UUID]:
    """A flag and a ``programme-flagged`` per verdict not flagged before; their ids."""
    raised = []
    for verdict in verdicts:
        fid = flag_id(rule.rule_id, programme.programme_id, verdict.evidence)
        if await uow.session.get(FlagRow, fid) is not None:
            continue  # the same evidence never flags twice
        refs = tuple(
            EvidenceRef(
                kind=e.kind,
                resource_id=e.resource_id,
                url=(url_of or (lambda item: evidence_url(ctx, item)))(e),
                event=event,
            )
            for e in verdict.evidence
        )
        uow.session.add(
            FlagRow(
                flag_id=fid,
                programme_id=programme.programme_id,
                rule_id=rule.rule_id,
                rule_version=rule.version,
                category=rule.category.value,
                severity=verdict.severity.value,
                evidence=[r.model_dump(mode="json", by_alias=True) for r in refs],
                recommends_hold=verdict.recommends_hold,
                state=OPEN,
                raised_at=ctx.now(),
            )
        )
        await uow.session.flush()
        await uow.emit(
            ProgrammeFlagged(
                **programme.routing(),
                flag_id=fid,
                flag_url=ctx.links.flag(fid),
                category=rule.category,
                severity=verdict.severity,
                rule_id=rule.rule_id,
                rule_version=rule.version,
                evidence=refs,
                recommends_disbursement_hold=verdict.recommends_hold,
            )
        )
        raised.append(fid)
    return raised


async def resolve_by_review(
    uow: UnitOfWork,
    ctx: MonitoringContext,
    programme: ProgrammeView,
    flag_ids: Sequence[UUID],
    *,
    review_id: UUID,
    decision: ReviewDecision,
) -> list[UUID]:
    """Close the programme's open flags the review answered; ``flag-resolved`` for each."""
    resolved = []
    for fid in flag_ids:
        row = await uow.session.get(FlagRow, fid)
        if row is None or row.programme_id != programme.programme_id or row.state != OPEN:
            continue
        row.state = RESOLVED
        row.resolved_at = ctx.now()
        row.resolution = FlagResolution.REVIEW_DECIDED.value
        row.review_id = review_id
        row.decision = decision.value
        await uow.session.flush()
        await uow.emit(
            FlagResolved(
                **programme.routing(),
                flag_id=fid,
                flag_url=ctx.links.flag(fid),
                category=FlagCategory(row.category),
                resolution=FlagResolution.REVIEW_DECIDED,
                review_id=review_id,
                decision=decision,
            )
        )
        resolved.append(fid)
    return resolved
