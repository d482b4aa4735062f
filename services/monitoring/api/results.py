"""``/indicator-results``: actual values per indicator and period; corrections keep history."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Query, Request

from services.monitoring.api.common import (
    CONFLICT,
    INDICATOR_ID_PATTERN,
    NOT_FOUND,
    Context,
    Paging,
    ProgrammeFilter,
    Runtime,
    Writer,
)
from services.monitoring.api.readers import Viewer
from services.monitoring.api.result_models import (
    Correction,
    NewResult,
    ResultOut,
    own_texts,
    result_seen_by,
    result_view,
)
from services.monitoring.service_layer import results
from services.monitoring.service_layer.commands import (
    CorrectResult,
    RecordResult,
    ResultQuery,
    Window,
)
from shared.http.pagination import Page

router = APIRouter(prefix="/indicator-results", tags=["Indicator results"])

ResultIdPath = Annotated[UUID, Path(alias="resultId", description="The result.")]
IndicatorFilter = Annotated[str | None, Query(alias="indicatorId", pattern=INDICATOR_ID_PATTERN)]


@router.post(
    "",
    operation_id="recordIndicatorResult",
    summary="Record an indicator's actual value for one of its periods; the rules run on it",
    status_code=201,
    responses=CONFLICT,
)
async def record_result(
    body: NewResult, caller: Writer, runtime: Runtime, ctx: Context
) -> ResultOut:
    command = RecordResult(
        programme_id=body.programme_id,
        indicator_id=body.indicator_id,
        period_start=body.period_start,
        period_end=body.period_end,
        values=body.reported(),
        reporter=caller.organisation,
    )
    async with runtime.unit_of_work() as uow:
        record = await results.record_result(command, uow, ctx)
    return result_view(record, own_texts)


@router.post(
    "/{resultId}/corrections",
    operation_id="correctIndicatorResult",
    summary="Correct a result: a new version, the earlier ones kept; the rules run again",
    status_code=201,
    responses=NOT_FOUND,
)
async def correct_result(
    result_id: ResultIdPath,
    body: Correction,
    caller: Writer,
    viewer: Viewer,
    runtime: Runtime,
    ctx: Context,
) -> ResultOut:
    command = CorrectResult(result_id, body.reported(), body.reason, caller.organisation)
    async with runtime.unit_of_work() as uow:
        corrected = await results.correct_result(command, uow, ctx)
    return result_seen_by(viewer, corrected)


@router.get("", operation_id="listIndicatorResults", summary="Indicator results, newest first")
async def list_results(
    request: Request,
    viewer: Viewer,
    runtime: Runtime,
    paging: Paging,
    programme_id: ProgrammeFilter = None,
    indicator_id: IndicatorFilter = None,
) -> Page[ResultOut]:
    query = ResultQuery(programme_id, indicator_id, Window(paging.offset, paging.page_size))
    async with runtime.unit_of_work() as uow:
        found = await results.list_results(query, uow)
    items = [result_seen_by(viewer, r) for r in found.items]
    return Page[ResultOut].of(items, total=found.total, params=paging, request=request)


@router.get(
    "/{resultId}",
    operation_id="getIndicatorResult",
    summary="One result with its history",
    responses=NOT_FOUND,
)
async def get_result(result_id: ResultIdPath, viewer: Viewer, runtime: Runtime) -> ResultOut:
    async with runtime.unit_of_work() as uow:
        found = await results.get_result(result_id, uow)
    return result_seen_by(viewer, found)
