"""Partnership tracks with a country: opening, editing, and moving them through their statuses."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from services.countries.api.common import CONFLICT, Country, PartnershipId, Reader, Write
from services.countries.api.partnership_models import (
    NewPartnership,
    NewStatusChange,
    PartnershipPatch,
    PartnershipView,
    StatusChangeView,
)
from services.countries.domain.partnerships import PARTNERSHIP_FIELDS, PartnershipContent
from services.countries.service_layer import partnerships
from services.countries.service_layer.commands import (
    ChangePartnership,
    MovePartnership,
    OpenPartnership,
    TrackFilter,
)
from shared.contracts.vocabulary import (
    CountryCode,
    OrganisationCode,
    PartnershipKind,
    PartnershipStatus,
    Theme,
)
from shared.http.dependencies import Paging, Runtime
from shared.http.pagination import Page, PageParams

router = APIRouter(tags=["Partnerships"])


StatusFilter = Annotated[PartnershipStatus | None, Query(description="Tracks with this status.")]
KindFilter = Annotated[PartnershipKind | None, Query(description="Bilateral or EU tracks.")]
ThemeFilter = Annotated[Theme | None, Query(description="Tracks covering this theme.")]
OrganisationFilter = Annotated[
    OrganisationCode | None,
    Query(description="Tracks this organisation leads or takes part in."),
]


async def _page(
    request: Request, paging: PageParams, runtime: Runtime, wanted: TrackFilter
) -> Page[PartnershipView]:
    async with runtime.sessions() as session:
        selected = await partnerships.partnership_tracks(wanted, session)
    shown = selected[paging.offset : paging.offset + paging.page_size]
    views = [PartnershipView.of(p) for p in shown]
    return Page[PartnershipView].of(views, total=len(selected), params=paging, request=request)


@router.get("/partnerships", summary="Partnership tracks with all countries")
async def list_all_partnerships(
    request: Request,
    caller: Reader,
    runtime: Runtime,
    paging: Paging,
    country_code: Annotated[
        CountryCode | None, Query(alias="countryCode", description="Tracks with this country.")
    ] = None,
    status: StatusFilter = None,
    kind: KindFilter = None,
    theme: ThemeFilter = None,
    organisation: OrganisationFilter = None,
) -> Page[PartnershipView]:
    """By country, then in the order they were opened."""
    wanted = TrackFilter(country_code, status, kind, theme, organisation)
    return await _page(request, paging, runtime, wanted)


@router.get("/countries/{countryCode}/partnerships", summary="A country's partnership tracks")
async def list_partnerships(
    request: Request,
    reference: Country,
    caller: Reader,
    runtime: Runtime,
    paging: Paging,
    status: StatusFilter = None,
    kind: KindFilter = None,
    theme: ThemeFilter = None,
    organisation: OrganisationFilter = None,
) -> Page[PartnershipView]:
    """In the order they were opened."""
    wanted = TrackFilter(reference.code, status, kind, theme, organisation)
    return await _page(request, paging, runtime, wanted)


@router.post(
    "/countries/{countryCode}/partnerships",
    status_code=201,
    summary="Open a partnership track",
    responses={201: {"description": "Opened; `Location` names the new track."}, **CONFLICT},
)
async def open_partnership(
    reference: Country, body: NewPartnership, write: Write, response: Response
) -> PartnershipView:
    """Opens a track and emits `partnership-status-changed` (without a previous status)."""
    content = PartnershipContent.model_validate(body.model_dump(include=set(PARTNERSHIP_FIELDS)))
    command = OpenPartnership(reference.code, content, body.status, body.status_since, write.by)
    async with write.runtime.unit_of_work() as uow:
        partnership = await partnerships.open_partnership(command, uow, write.ctx)
    response.headers["Location"] = write.ctx.links.partnership(reference.code, partnership.id)
    return PartnershipView.of(partnership)


@router.get("/countries/{countryCode}/partnerships/{partnershipId}", summary="A partnership track")
async def get_partnership(
    reference: Country, partnership_id: PartnershipId, caller: Reader, runtime: Runtime
) -> PartnershipView:
    async with runtime.sessions() as session:
        found = await partnerships.partnership_track(reference.code, partnership_id, session)
    return PartnershipView.of(found)


@router.patch(
    "/countries/{countryCode}/partnerships/{partnershipId}",
    summary="Change a partnership track (merge patch)",
    responses=CONFLICT,
)
async def update_partnership(
    reference: Country,
    partnership_id: PartnershipId,
    patch: PartnershipPatch,
    write: Write,
) -> PartnershipView:
    """Partial update of everything but the status; emits `partnership-updated` on a change."""
    updates = {name: getattr(patch, name) for name in patch.model_fields_set}
    command = ChangePartnership(reference.code, partnership_id, updates, write.by)
    async with write.runtime.unit_of_work() as uow:
        partnership = await partnerships.change_partnership(command, uow, write.ctx)
    return PartnershipView.of(partnership)


@router.get(
    "/countries/{countryCode}/partnerships/{partnershipId}/status-changes",
    summary="A partnership track's status history",
)
async def list_status_changes(
    reference: Country, partnership_id: PartnershipId, caller: Reader, runtime: Runtime
) -> list[StatusChangeView]:
    """Oldest first, from the opening status to the current one."""
    async with runtime.sessions() as session:
        history = await partnerships.status_history(reference.code, partnership_id, session)
    return [StatusChangeView.of(change) for change in history]


@router.post(
    "/countries/{countryCode}/partnerships/{partnershipId}/status-changes",
    status_code=201,
    summary="Move a partnership track to another status",
    responses={
        201: {"description": "Recorded; the body is the track with its new status."},
        **CONFLICT,
    },
)
async def change_status(
    reference: Country,
    partnership_id: PartnershipId,
    body: NewStatusChange,
    write: Write,
) -> PartnershipView:
    """Follows the transition table; emits `partnership-status-changed`."""
    command = MovePartnership(
        reference.code,
        partnership_id,
        body.status,
        body.effective_from,
        body.reason,
        write.by,
    )
    async with write.runtime.unit_of_work() as uow:
        partnership = await partnerships.move_partnership(command, uow, write.ctx)
    return PartnershipView.of(partnership)
