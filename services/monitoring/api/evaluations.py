"""``/evaluations``: evaluations on the OECD DAC criteria (four-point scale)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Request

from services.monitoring.api.common import (
    NOT_FOUND,
    Context,
    Paging,
    ProgrammeFilter,
    Runtime,
    Writer,
)
from services.monitoring.api.evidence_models import EvaluationOut, NewEvaluation
from services.monitoring.api.readers import Viewer
from services.monitoring.service_layer import evidence
from services.monitoring.service_layer.commands import EvidenceQuery, Window
from shared.http.pagination import Page

router = APIRouter(prefix="/evaluations", tags=["Evaluations"])


@router.post(
    "",
    operation_id="recordEvaluation",
    summary="Record an evaluation with its ratings; the poor-evaluation rule runs on it",
    status_code=201,
)
async def record_evaluation(
    body: NewEvaluation, caller: Writer, runtime: Runtime, ctx: Context
) -> EvaluationOut:
    report = body.report(caller.organisation)
    async with runtime.unit_of_work() as uow:
        recorded = await evidence.record_evaluation(report, uow, ctx)
    # The recording organisation's own text, just written: shown, and no read to note.
    return EvaluationOut.seen_by(None, recorded)


@router.get("", operation_id="listEvaluations", summary="Evaluations, newest first")
async def list_evaluations(
    request: Request,
    viewer: Viewer,
    runtime: Runtime,
    paging: Paging,
    programme_id: ProgrammeFilter = None,
) -> Page[EvaluationOut]:
    query = EvidenceQuery(programme_id, Window(paging.offset, paging.page_size))
    async with runtime.unit_of_work() as uow:
        found = await evidence.list_evaluations(query, uow)
    items = [EvaluationOut.seen_by(viewer, e) for e in found.items]
    return Page[EvaluationOut].of(items, total=found.total, params=paging, request=request)


@router.get(
    "/{evaluationId}", operation_id="getEvaluation", summary="One evaluation", responses=NOT_FOUND
)
async def get_evaluation(
    evaluation_id: Annotated[UUID, Path(alias="evaluationId", description="The evaluation.")],
    viewer: Viewer,
    runtime: Runtime,
) -> EvaluationOut:
    async with runtime.unit_of_work() as uow:
        found = await evidence.get_evaluation(evaluation_id, uow)
    return EvaluationOut.seen_by(viewer, found)
