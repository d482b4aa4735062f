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
from services.programmes.commands import programmes as commands
from services.programmes.domain.programme import Programme, ReportingOrganisation
from services.programmes.domain.rights import ProgrammeWrite
from services.programmes.storage import programmes as store
from services.programmes.storage import reviews
from shared.contracts.vocabulary import ActivityStatus, Theme
from shared.http import AuthenticatedCaller
from shared.http.dependencies import Paging, ProgrammeIdPath, Runtime
from shared.http.pagination import Page
from shared.unit_of_work import UnitOfWork

router = APIRouter(prefix="/programmes", tags=["Programmes"])


async def programme_view(uow: UnitOfWork, ctx: Context, programme: Programme) -> ProgrammeOut:
    review = await reviews.open_review_of(uow.session, programme.programme_id)
    return ProgrammeOut.of(
        programme,
        ctx.links.programme(programme.programme_id),
        on_hold=review is not None and review.holds_disbursements,
        open_review=review.review_id if review else None,
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
    criteria = store.ProgrammeFilter(
        status=status,
        country_code=country_code,
        theme=theme,
        owning_organisation=owning_organisation,
        iati_identifier=iati_identifier,
    )
    async with runtime.unit_of_work() as uow:
        found, total = await store.search(
            uow.session, criteria, offset=paging.offset, limit=paging.page_size
        )
        items = [await programme_view(uow, ctx, p) for p in found]
    return Page[ProgrammeOut].of(items, total=total, params=paging, request=request)


@router.post(
    "",
    operation_id="registerProgramme",
    summary="Register a programme (in the pipeline)",
    status_code=201,
    responses=CONFLICT,
)
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
        programme = await commands.register(uow, ctx, draft)
        view = await programme_view(uow, ctx, programme)
    response.headers["Location"] = ctx.links.programme(programme.programme_id)
    return view


@router.get("/{programmeId}", operation_id="getProgramme", summary="One programme")
async def get_programme(
    programme_id: ProgrammeIdPath, caller: AuthenticatedCaller, runtime: Runtime, ctx: Context
) -> ProgrammeOut:
    async with runtime.unit_of_work() as uow:
        return await programme_view(uow, ctx, await commands.load(uow, programme_id))


@router.get(
    "/{programmeId}/status-transitions",
    operation_id="listStatusTransitions",
    summary="The programme's lifecycle so far: who moved it, when and why",
)
async def list_status_transitions(
    programme_id: ProgrammeIdPath, viewer: Viewer, runtime: Runtime
) -> StatusTransitionList:
    async with runtime.unit_of_work() as uow:
        programme = await commands.load(uow, programme_id)
        found = await store.transitions(uow.session, programme_id)
    items = [StatusTransitionOut.seen_by(viewer, programme, t) for t in found]
    return StatusTransitionList(items=items)


@router.post(
    "/{programmeId}/status-transitions",
    operation_id="changeProgrammeStatus",
    summary="Move the programme to another IATI status (the owner only)",
    status_code=201,
    responses=CONFLICT,
)
async def change_programme_status(
    programme_id: ProgrammeIdPath,
    body: StatusTransitionIn,
    caller: Writer,
    runtime: Runtime,
    ctx: Context,
) -> StatusTransitionOut:
    """Only legal moves of the lifecycle; pipeline to implementation is the approval."""
    async with runtime.unit_of_work() as uow:
        programme = await commands.load_owned(
            uow, programme_id, caller.organisation, ProgrammeWrite.STATUS
        )
        _, transition = await commands.change_status(
            uow,
            ctx,
            programme,
            body.status,
            changed_by=caller.organisation,
            reason=body.reason,
            effective_on=body.effective_on,
        )
    # The caller's own reason, just written.
    return StatusTransitionOut.of(transition, shown=True)
