"""``/evaluations`` (OECD DAC criteria, four-point scale) and ``/incidents`` (side effects).

Incident reports hold no names or identifying details of individuals: a closed
category, a severity, a country, a date and a bounded summary. Incident and
evaluation summaries are about no one in person: ``shared.personal_data``
refuses one that carries a date of birth, an address, a phone or identifying
number or an e-mail address.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Request
from pydantic import Field
from sqlalchemy import select

from services.monitoring.api.common import NOT_FOUND, Context, ProgrammeFilter, Runtime, Writer
from services.monitoring.api.readers import READERS, Viewer, audience, programmes_of
from services.monitoring.domain.rights import Evidence as ReportedEvidence
from services.monitoring.domain.rules import EvaluationFacts, IncidentFacts
from services.monitoring.flags import check_reporter, raise_flags
from services.monitoring.storage import programmes
from services.monitoring.storage.programmes import ProgrammeView
from services.monitoring.storage.tables import EvaluationRow, IncidentRow
from shared.contracts.monitoring import CriterionRating, EvaluationRecorded, IncidentReported
from shared.contracts.vocabulary import (
    PROGRAMME_ID_PATTERN,
    CountryCode,
    DacCriterion,
    EvaluationKind,
    EvaluationRating,
    Severity,
    SideEffectCategory,
)
from shared.db import fetch_page
from shared.errors import NotFound, Violation, raise_if
from shared.http import UtcDateTime
from shared.http.models import ApiModel, InputModel, Text, WebUrl
from shared.http.pagination import Page, PageParams, page_params
from shared.need_to_know import NeedToKnow, need_to_know_text, withheld_field, withhold
from shared.personal_data import refusals

evaluations_router = APIRouter(prefix="/evaluations", tags=["Evaluations"])
incidents_router = APIRouter(prefix="/incidents", tags=["Incidents"])

#: How a summary's description states the "about no one in person" refusal.
NO_ONE = (
    "Refused (422) when it carries a date of birth, an address, a phone, V-, BSN, document or "
    "other identifying number, or an e-mail address."
)


# -- evaluations -----------------------------------------------------------------------------


class Ratings(InputModel):
    """A rating on each of the six OECD DAC criteria."""

    relevance: EvaluationRating
    coherence: EvaluationRating
    effectiveness: EvaluationRating
    efficiency: EvaluationRating
    impact: EvaluationRating
    sustainability: EvaluationRating

    def by_criterion(self) -> dict[DacCriterion, EvaluationRating]:
        return {c: getattr(self, c.value) for c in DacCriterion}


class NewEvaluation(InputModel):
    programme_id: str = Field(pattern=PROGRAMME_ID_PATTERN)
    kind: EvaluationKind
    independent: bool = Field(description="True for an independent evaluation, false internal.")
    completed_on: date = Field(description="When the report was completed; not in the future.")
    overall_rating: EvaluationRating
    ratings: Ratings
    summary: Text = Field(
        min_length=1,
        max_length=4000,
        description="The evaluation's findings in general terms, about no one in person: no "
        "names or details that could identify a person. " + NO_ONE,
    )
    document_url: WebUrl = Field(description="The evaluation report.")


class EvaluationOut(ApiModel):
    evaluation_id: UUID
    programme_id: str
    kind: EvaluationKind
    independent: bool
    completed_on: date
    overall_rating: EvaluationRating
    ratings: dict[str, EvaluationRating]
    summary: str | None = need_to_know_text("The evaluation's findings in words.", READERS)
    document_url: str
    recorded_by: str
    recorded_at: UtcDateTime
    withheld: list[str] = withheld_field("summary")

    @classmethod
    def of(cls, row: EvaluationRow, *, shown: bool) -> EvaluationOut:
        """The evaluation; its summary only when ``shown`` (else null and named withheld)."""
        texts, withheld = withhold(shown, summary=row.summary)
        return cls(
            evaluation_id=row.evaluation_id,
            programme_id=row.programme_id,
            kind=EvaluationKind(row.kind),
            independent=row.independent,
            completed_on=row.completed_on,
            overall_rating=EvaluationRating(row.overall_rating),
            ratings={k: EvaluationRating(v) for k, v in row.ratings.items()},
            summary=texts["summary"],
            document_url=row.document_url,
            recorded_by=row.recorded_by,
            recorded_at=row.recorded_at,
            withheld=withheld,
        )

    @classmethod
    def seen_by(
        cls, viewer: NeedToKnow, row: EvaluationRow, programme: ProgrammeView | None
    ) -> EvaluationOut:
        """The evaluation as ``viewer`` may read it; a summary handed out is noted for audit."""
        readers = audience(programme, row.recorded_by)
        shown = viewer.reveal(readers, f"evaluation/{row.evaluation_id}", row.summary)
        return cls.of(row, shown=shown)


@evaluations_router.post(
    "",
    operation_id="recordEvaluation",
    summary="Record an evaluation with its ratings; the poor-evaluation rule runs on it",
    status_code=201,
)
async def record_evaluation(
    body: NewEvaluation, caller: Writer, runtime: Runtime, ctx: Context
) -> EvaluationOut:
    async with runtime.unit_of_work() as uow:
        found = await programmes.get(uow.session, body.programme_id)
        violations = [] if found else [Violation("programmeId", "not a programme monitoring knows")]
        if body.completed_on > ctx.today():
            violations.append(Violation("completedOn", "is in the future"))
        violations += refusals({"summary": body.summary}, Violation)
        raise_if(violations)
        assert found is not None
        programme = found
        check_reporter(programme, caller.organisation, ReportedEvidence.EVALUATION)
        ratings = body.ratings.by_criterion()
        row = EvaluationRow(
            evaluation_id=uuid.uuid4(),
            programme_id=body.programme_id,
            kind=body.kind.value,
            independent=body.independent,
            completed_on=body.completed_on,
            overall_rating=body.overall_rating.value,
            ratings={c.value: r.value for c, r in ratings.items()},
            summary=body.summary,
            document_url=str(body.document_url),
            recorded_by=caller.organisation,
            recorded_at=ctx.now(),
        )
        uow.session.add(row)
        await uow.session.flush()
        await uow.emit(
            EvaluationRecorded(
                **programme.routing(),
                evaluation_id=row.evaluation_id,
                evaluation_url=ctx.links.evaluation(row.evaluation_id),
                kind=body.kind,
                independent=body.independent,
                completed_on=body.completed_on,
                overall_rating=body.overall_rating,
                criteria=tuple(CriterionRating(criterion=c, rating=r) for c, r in ratings.items()),
            )
        )
        rule = ctx.rules.poor_evaluation
        await raise_flags(
            uow, ctx, programme, rule, rule(EvaluationFacts(str(row.evaluation_id), ratings))
        )
        # The recording organisation's own text, just written: shown, and no read to note.
        return EvaluationOut.of(row, shown=True)


@evaluations_router.get("", operation_id="listEvaluations", summary="Evaluations, newest first")
async def list_evaluations(
    request: Request,
    viewer: Viewer,
    runtime: Runtime,
    paging: Annotated[PageParams, Depends(page_params)],
    programme_id: ProgrammeFilter = None,
) -> Page[EvaluationOut]:
    query = select(EvaluationRow)
    if programme_id is not None:
        query = query.where(EvaluationRow.programme_id == programme_id)
    async with runtime.unit_of_work() as uow:
        rows, total = await fetch_page(
            uow.session,
            query,
            EvaluationRow.completed_on.desc(),
            EvaluationRow.recorded_at.desc(),
            offset=paging.offset,
            limit=paging.page_size,
        )
        known = await programmes_of(uow.session, (r.programme_id for r in rows))
    items = [EvaluationOut.seen_by(viewer, r, known.get(r.programme_id)) for r in rows]
    return Page[EvaluationOut].of(items, total=total, params=paging, request=request)


@evaluations_router.get(
    "/{evaluationId}", operation_id="getEvaluation", summary="One evaluation", responses=NOT_FOUND
)
async def get_evaluation(
    evaluation_id: Annotated[UUID, Path(alias="evaluationId", description="The evaluation.")],
    viewer: Viewer,
    runtime: Runtime,
) -> EvaluationOut:
    async with runtime.unit_of_work() as uow:
        row = await uow.session.get(EvaluationRow, evaluation_id)
        programme = None if row is None else await programmes.get(uow.session, row.programme_id)
    if row is None:
        raise NotFound(f"No evaluation {evaluation_id}.")
    return EvaluationOut.seen_by(viewer, row, programme)


# -- incidents ---------------------------------------------------------------------------------


class NewIncident(InputModel):
    """A negative side effect on migrants or others. Never name or identify anyone."""

    programme_id: str = Field(pattern=PROGRAMME_ID_PATTERN)
    category: SideEffectCategory
    severity: Severity
    country_code: CountryCode
    occurred_on: date = Field(description="Date it happened; not in the future.")
    verified: bool = Field(description="True when the report has been verified.")
    summary: Text = Field(
        min_length=1,
        max_length=500,
        description="What happened, in general terms, about no one in person: no names, "
        "contact details or numbers that could identify a person. " + NO_ONE,
    )


class IncidentOut(ApiModel):
    incident_id: UUID
    programme_id: str
    category: SideEffectCategory
    severity: Severity
    country_code: str
    occurred_on: date
    verified: bool
    reported_by: str = Field(description="The reporting organisation.")
    summary: str | None = need_to_know_text("What happened, in general terms.", READERS)
    recorded_at: UtcDateTime
    withheld: list[str] = withheld_field("summary")

    @classmethod
    def of(cls, row: IncidentRow, *, shown: bool) -> IncidentOut:
        """The report; its summary only when ``shown`` (else null and named withheld)."""
        texts, withheld = withhold(shown, summary=row.summary)
        return cls(
            incident_id=row.incident_id,
            programme_id=row.programme_id,
            category=SideEffectCategory(row.category),
            severity=Severity(row.severity),
            country_code=row.country_code,
            occurred_on=row.occurred_on,
            verified=row.verified,
            reported_by=row.reported_by,
            summary=texts["summary"],
            recorded_at=row.recorded_at,
            withheld=withheld,
        )

    @classmethod
    def seen_by(
        cls, viewer: NeedToKnow, row: IncidentRow, programme: ProgrammeView | None
    ) -> IncidentOut:
        """The report as ``viewer`` may read it; a summary handed out is noted for audit."""
        readers = audience(programme, row.reported_by)
        shown = viewer.reveal(readers, f"incident/{row.incident_id}", row.summary)
        return cls.of(row, shown=shown)


@incidents_router.post(
    "",
    operation_id="reportIncident",
    summary="Report an incident; the negative-side-effects rule runs on it",
    status_code=201,
)
async def report_incident(
    body: NewIncident, caller: Writer, runtime: Runtime, ctx: Context
) -> IncidentOut:
    violations = []
    if body.occurred_on > ctx.today():
        violations.append(Violation("occurredOn", "is in the future"))
    violations += refusals({"summary": body.summary}, Violation)
    async with runtime.unit_of_work() as uow:
        found = await programmes.get(uow.session, body.programme_id)
        if found is None:
            violations.insert(0, Violation("programmeId", "not a programme monitoring knows"))
        raise_if(violations)
        assert found is not None
        programme = found
        check_reporter(programme, caller.organisation, ReportedEvidence.INCIDENT)
        row = IncidentRow(
            incident_id=uuid.uuid4(),
            programme_id=body.programme_id,
            category=body.category.value,
            severity=body.severity.value,
            country_code=body.country_code,
            occurred_on=body.occurred_on,
            verified=body.verified,
            reported_by=caller.organisation,
            summary=body.summary,
            recorded_at=ctx.now(),
        )
        uow.session.add(row)
        await uow.session.flush()
        await uow.emit(
            IncidentReported(
                **programme.routing(),
                incident_id=row.incident_id,
                incident_url=ctx.links.incident(row.incident_id),
                category=body.category,
                severity=body.severity,
                country_code=body.country_code,
                occurred_on=body.occurred_on,
                verified=body.verified,
                reported_by=caller.organisation,
            )
        )
        rule = ctx.rules.negative_side_effects
        facts = IncidentFacts(str(row.incident_id), body.severity, body.verified)
        await raise_flags(uow, ctx, programme, rule, rule(facts))
        # The reporting organisation's own text, just written: shown, and no read to note.
        return IncidentOut.of(row, shown=True)


@incidents_router.get("", operation_id="listIncidents", summary="Incident reports, newest first")
async def list_incidents(
    request: Request,
    viewer: Viewer,
    runtime: Runtime,
    paging: Annotated[PageParams, Depends(page_params)],
    programme_id: ProgrammeFilter = None,
) -> Page[IncidentOut]:
    query = select(IncidentRow)
    if programme_id is not None:
        query = query.where(IncidentRow.programme_id == programme_id)
    async with runtime.unit_of_work() as uow:
        rows, total = await fetch_page(
            uow.session,
            query,
            IncidentRow.occurred_on.desc(),
            IncidentRow.recorded_at.desc(),
            offset=paging.offset,
            limit=paging.page_size,
        )
        known = await programmes_of(uow.session, (r.programme_id for r in rows))
    items = [IncidentOut.seen_by(viewer, r, known.get(r.programme_id)) for r in rows]
    return Page[IncidentOut].of(items, total=total, params=paging, request=request)


@incidents_router.get(
    "/{incidentId}", operation_id="getIncident", summary="One incident report", responses=NOT_FOUND
)
async def get_incident(
    incident_id: Annotated[UUID, Path(alias="incidentId", description="The incident report.")],
    viewer: Viewer,
    runtime: Runtime,
) -> IncidentOut:
    async with runtime.unit_of_work() as uow:
        row = await uow.session.get(IncidentRow, incident_id)
        programme = None if row is None else await programmes.get(uow.session, row.programme_id)
    if row is None:
        raise NotFound(f"No incident report {incident_id}.")
    return IncidentOut.seen_by(viewer, row, programme)
