"""``/incidents``: reports of negative side effects, never naming or identifying anyone."""

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
from services.monitoring.api.evidence_models import IncidentOut, NewIncident
from services.monitoring.api.readers import Viewer
from services.monitoring.service_layer import evidence
from services.monitoring.service_layer.commands import EvidenceQuery, Window
from shared.http.pagination import Page

router = APIRouter(prefix="/incidents", tags=["Incidents"])


@router.post(
    "",
    operation_id="reportIncident",
    summary="Report an incident; the negative-side-effects rule runs on it",
    status_code=201,
)
async def report_incident(
    body: NewIncident, caller: Writer, runtime: Runtime, ctx: Context
) -> IncidentOut:
    report = body.report(caller.organisation)
    async with runtime.unit_of_work() as uow:
        reported = await evidence.report_incident(report, uow, ctx)
    # The reporting organisation's own text, just written: shown, and no read to note.
    return IncidentOut.seen_by(None, reported)


@router.get("", operation_id="listIncidents", summary="Incident reports, newest first")
async def list_incidents(
    request: Request,
    viewer: Viewer,
    runtime: Runtime,
    paging: Paging,
    programme_id: ProgrammeFilter = None,
) -> Page[IncidentOut]:
    query = EvidenceQuery(programme_id, Window(paging.offset, paging.page_size))
    async with runtime.unit_of_work() as uow:
        found = await evidence.list_incidents(query, uow)
    items = [IncidentOut.seen_by(viewer, i) for i in found.items]
    return Page[IncidentOut].of(items, total=found.total, params=paging, request=request)


@router.get(
    "/{incidentId}", operation_id="getIncident", summary="One incident report", responses=NOT_FOUND
)
async def get_incident(
    incident_id: Annotated[UUID, Path(alias="incidentId", description="The incident report.")],
    viewer: Viewer,
    runtime: Runtime,
) -> IncidentOut:
    async with runtime.unit_of_work() as uow:
        found = await evidence.get_incident(incident_id, uow)
    return IncidentOut.seen_by(viewer, found)
