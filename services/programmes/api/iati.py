"""IATI 2.03 activity XML: ``/programmes/{programmeId}/iati`` and ``/iati-activities``."""

from __future__ import annotations

from typing import Any, Final

from fastapi import APIRouter, Response

from services.programmes.api.common import Context, ProgrammeIdPath, Runtime
from services.programmes.commands.programmes import load
from services.programmes.domain.programme import Programme
from services.programmes.iati import MEDIA_TYPE, ActivityRecord, activities_document
from services.programmes.storage import money, results
from services.programmes.storage import programmes as store
from shared.http import AuthenticatedCaller
from shared.unit_of_work import UnitOfWork

router = APIRouter(tags=["IATI"])


class XmlResponse(Response):
    media_type = MEDIA_TYPE


_XML: Final[dict[int | str, dict[str, Any]]] = {
    200: {
        "description": "An `iati-activities` document (IATI 2.03), valid against the XSD.",
        "content": {MEDIA_TYPE: {"schema": {"type": "string"}}},
    }
}


async def _record(uow: UnitOfWork, programme: Programme) -> ActivityRecord:
    pid = programme.programme_id
    return ActivityRecord(
        programme=programme,
        budgets=await money.budgets(uow.session, pid),
        transactions=await money.transactions(uow.session, pid),
        indicators=await results.indicators(uow.session, pid),
    )


@router.get(
    "/programmes/{programmeId}/iati",
    operation_id="getProgrammeIati",
    summary="The programme as an IATI 2.03 activity",
    response_class=XmlResponse,
    responses=_XML,
)
async def get_programme_iati(
    programme_id: ProgrammeIdPath, caller: AuthenticatedCaller, runtime: Runtime, ctx: Context
) -> XmlResponse:
    async with runtime.unit_of_work() as uow:
        record = await _record(uow, await load(uow, programme_id))
    return XmlResponse(activities_document([record], ctx.now()))


@router.get(
    "/iati-activities",
    operation_id="listIatiActivities",
    summary="All programmes as IATI 2.03 activities",
    response_class=XmlResponse,
    responses=_XML,
)
async def list_iati_activities(
    caller: AuthenticatedCaller, runtime: Runtime, ctx: Context
) -> XmlResponse:
    async with runtime.unit_of_work() as uow:
        records = [await _record(uow, p) for p in await store.all_programmes(uow.session)]
    return XmlResponse(activities_document(records, ctx.now()))
