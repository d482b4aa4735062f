"""``/programmes``: the registry, and ``/status-transitions``: the lifecycle."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from services.programmes.api.common import CONFLICT, Context, Writer
from services.programmes.api.programme_models import (
    NewProgramme,
    ProgrammeOut,
    StatusTransitionIn,
    StatusTransitionList,
    StatusTransitionOut,
    shares_of,
)
from services.programmes.api.readers import Viewer
from services.programmes.domain.programme import Programme, ProgrammeFilter, ReportingOrganisation
from services.programmes.domain.reviews import ProgrammeStanding
from services.programmes.service_layer import programmes as use_cases
from services.programmes.service_layer.commands import ChangeStatus, FindProgrammes, Window
from shared.contracts.vocabulary import ActivityStatus, Theme
from shared.http import AuthenticatedCaller
from shared.http.dependencies import Paging, ProgrammeIdPath, Runtime
from shared.http.pagination import Page
from shared.http.routes import creates

router = APIRouter(prefix="/programmes", tags=["Programmes"])


def programme_view(ctx: Context, standing: ProgrammeStanding) -> ProgrammeOut:
    programme = standing.programme
    return ProgrammeOut.of(
        programme,
        ctx.links.programme(programme.programme_id),
        on_hold=standing.disbursements_on_hold,
        open_review=standing.open_review_id,
    )


@router.get("", operation_id="listProgrammes", summary="List programmes")
async def list_programmes(
    caller: AuthenticatedCaller,
    runtime: Runtime,
    ctx: Context,
    request: Request,
    paging: Paging,
    status: Annotated[ActivityStatus | None, Query(description="IATI status code.")] = None,
    country_code: Annotated[
        str | None, Query(alias="countryCode", pattern=r"^[A-Z]{3}$", description="ISO alpha-3.")
    ] = None,
    theme: Annotated[Theme | None, Query()] = None,
    owning_organisation: Annotated[
        str | None, Query(alias="owningOrganisation", pattern=r"^[a-z][a-z0-9-]{1,31}$")
    ] = None,
    iati_identifier: Annotated[
        str | None, Query(alias="iatiIdentifier", min_length=3, max_length=100)
    ] = None,
) -> Page[ProgrammeOut]:
    criteria = ProgrammeFilter(
        status=status,
        country_code=country_code,
        theme=theme,
        owning_organisation=owning_organisation,
        iati_identifier=iati_identifier,
    )
    query = FindProgrammes(criteria, Window(paging.offset, paging.page_size))
    async with runtime.unit_of_work() as uow:
        found, total = await use_cases.list_programmes(query, uow)
    items = [programme_view(ctx, standing) for standing in found]
    return Page[ProgrammeOut].of(items, total=total, params=paging, request=request)


@creates(router, "", "registerProgramme", "Register a programme (in the pipeline)", CONFLICT)
async def register_programme(
    body: NewProgramme, caller: Writer, runtime: Runtime, ctx: Context, response: Response
) -> ProgrammeOut:
    """The caller's organisation owns the programme; it must be a ministry."""
    draft = Programme(
        programme_id="",
        iati_identifier=body.iati_identifier or "",
        title=body.title,
        description=body.description,
        reporting_organisation=ReportingOrganisation("", "", ""),
        owning_organisation=caller.organisation,
        participating_organisations=tuple(o.to_domain() for o in body.participating_organisations),
        status=ActivityStatus.PIPELINE,
        planned_start=body.planned_start,
        planned_end=body.planned_end,
        recipient_countries=shares_of(body.recipient_countries),
        sectors=shares_of(body.sectors),
        themes=tuple(body.themes),
        return_assistance=body.return_assistance,
        partnership_id=body.partnership_id,
        created_at=ctx.now(),
        updated_at=ctx.now(),
    )
    async with runtime.unit_of_work() as uow:
        standing = await use_cases.register_programme(draft, uow, ctx)
    response.headers["Location"] = ctx.links.programme(standing.programme.programme_id)
    return programme_view(ctx, standing)


@router.get("/{programmeId}", operation_id="getProgramme", summary="One programme")
async def get_programme(
    programme_id: ProgrammeIdPath, caller: AuthenticatedCaller, runtime: Runtime, ctx: Context
) -> ProgrammeOut:
    async with runtime.unit_of_work() as uow:
        standing = await use_cases.get_programme(programme_id, uow)
    return programme_view(ctx, standing)


@router.get(
    "/{programmeId}/status-transitions",
    operation_id="listStatusTransitions",
    summary="The programme's lifecycle so far: who moved it, when and why",
)
async def list_status_transitions(
    programme_id: ProgrammeIdPath, viewer: Viewer, runtime: Runtime
) -> StatusTransitionList:
    async with runtime.unit_of_work() as uow:
        programme, found = await use_cases.list_status_transitions(programme_id, uow)
    items = [StatusTransitionOut.seen_by(viewer, programme, t) for t in found]
    return StatusTransitionList(items=items)


@creates(
    router,
    "/{programmeId}/status-transitions",
    "changeProgrammeStatus",
    "Move the programme to another IATI status (the owner only)",
    CONFLICT,
)
async def change_programme_status(
    programme_id: ProgrammeIdPath,
    body: StatusTransitionIn,
    caller: Writer,
    runtime: Runtime,
    ctx: Context,
) -> StatusTransitionOut:
    """Only legal moves of the lifecycle; pipeline to implementation is the approval."""
    command = ChangeStatus(
        programme_id=programme_id,
        organisation=caller.organisation,
        status=body.status,
        reason=body.reason,
        effective_on=body.effective_on,
    )
    async with runtime.unit_of_work() as uow:
        transition = await use_cases.change_status(command, uow, ctx)
    # The caller's own reason, just written.
    return StatusTransitionOut.of(transition, shown=True)
