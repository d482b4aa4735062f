"""Partnership tracks with a country: opening, editing, and moving them through their statuses."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Path, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.countries.api.common import (
    CONFLICT,
    Country,
    Reader,
    Urls,
    Writer,
    now,
)
from services.countries.api.partnership_views import (
    NewPartnership,
    NewStatusChange,
    PartnershipPatch,
    PartnershipView,
    StatusChangeView,
)
from services.countries.authority import authorise_opening, track_to_change
from services.countries.domain.partnerships import (
    PARTNERSHIP_FIELDS,
    Partnership,
    PartnershipContent,
    StatusChange,
    changed_fields,
    check_content,
    check_opening,
    check_patch,
    check_transition,
    merge,
)
from services.countries.domain.reference import CountryReference
from services.countries.links import Links
from services.countries.storage.partnerships import (
    add_status_change,
    find_partnership,
    partnerships,
    save_partnership,
    status_changes,
)
from shared.contracts.countries import PartnershipStatusChanged, PartnershipUpdated
from shared.contracts.vocabulary import (
    CountryCode,
    OrganisationCode,
    PartnershipKind,
    PartnershipStatus,
    Theme,
)
from shared.errors import NotFound, raise_if
from shared.http.dependencies import Paging, Runtime
from shared.http.pagination import Page, PageParams

router = APIRouter(tags=["Partnerships"])

PartnershipId = Annotated[UUID, Path(alias="partnershipId", description="The track's id.")]


def _routing(partnership: Partnership, urls: Links) -> dict[str, Any]:
    """The fields every partnership event carries."""
    content = partnership.content
    return {
        "country_code": partnership.country_code,
        "partnership_id": partnership.id,
        "partnership_url": urls.partnership(partnership.country_code, partnership.id),
        "kind": content.kind,
        "status": partnership.status,
        "lead_organisation": content.lead_organisation,
        "participating_organisations": content.participating_organisations,
        "themes": content.themes,
        "instruments": content.instruments,
    }


async def _page(
    request: Request,
    paging: PageParams,
    runtime: Runtime,
    *,
    country_code: str | None,
    status: PartnershipStatus | None,
    kind: PartnershipKind | None,
    theme: Theme | None,
    organisation: str | None,
) -> Page[PartnershipView]:
    async with runtime.sessions() as session:
        found = await partnerships(session, country_code=country_code, status=status)
    selected = [
        p
        for p in found
        if (kind is None or p.content.kind is kind)
        and (theme is None or theme in p.content.themes)
        and (
            organisation is None
            or organisation == p.content.lead_organisation
            or organisation in p.content.participating_organisations
        )
    ]
    views = [
        PartnershipView.of(p) for p in selected[paging.offset : paging.offset + paging.page_size]
    ]
    return Page[PartnershipView].of(views, total=len(selected), params=paging, request=request)


StatusFilter = Annotated[PartnershipStatus | None, Query(description="Tracks with this status.")]
KindFilter = Annotated[PartnershipKind | None, Query(description="Bilateral or EU tracks.")]
ThemeFilter = Annotated[Theme | None, Query(description="Tracks covering this theme.")]
OrganisationFilter = Annotated[
    OrganisationCode | None,
    Query(description="Tracks this organisation leads or takes part in."),
]


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
    return await _page(
        request,
        paging,
        runtime,
        country_code=country_code,
        status=status,
        kind=kind,
        theme=theme,
        organisation=organisation,
    )


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
    return await _page(
        request,
        paging,
        runtime,
        country_code=reference.code,
        status=status,
        kind=kind,
        theme=theme,
        organisation=organisation,
    )


@router.post(
    "/countries/{countryCode}/partnerships",
    status_code=201,
    summary="Open a partnership track",
    responses={201: {"description": "Opened; `Location` names the new track."}, **CONFLICT},
)
async def open_partnership(
    reference: Country,
    body: NewPartnership,
    caller: Writer,
    runtime: Runtime,
    urls: Urls,
    response: Response,
) -> PartnershipView:
    """Opens a track and emits `partnership-status-changed` (without a previous status)."""
    content = PartnershipContent.model_validate(body.model_dump(include=set(PARTNERSHIP_FIELDS)))
    authorise_opening(caller, content.lead_organisation)
    raise_if([*check_content(content), *check_opening(body.status)])
    at = now()
    partnership = Partnership(
        id=uuid4(),
        country_code=reference.code,
        content=content,
        status=body.status,
        status_since=body.status_since,
        revision=1,
        created_at=at,
        created_by=caller.organisation,
        updated_at=at,
        updated_by=caller.organisation,
    )
    async with runtime.unit_of_work() as uow:
        await save_partnership(uow.session, partnership)
        await add_status_change(
            uow.session,
            partnership.id,
            StatusChange(body.status, None, body.status_since, None, at, caller.organisation),
        )
        await uow.emit(
            PartnershipStatusChanged.model_validate(
                {**_routing(partnership, urls), "effective_from": body.status_since}
            )
        )
    response.headers["Location"] = urls.partnership(reference.code, partnership.id)
    return PartnershipView.of(partnership)


async def _existing(
    session: AsyncSession, reference: CountryReference, partnership_id: UUID
) -> Partnership:
    partnership = await find_partnership(session, reference.code, partnership_id)
    if partnership is None:
        raise NotFound(f"{reference.code} has no partnership track {partnership_id}.")
    return partnership


@router.get("/countries/{countryCode}/partnerships/{partnershipId}", summary="A partnership track")
async def get_partnership(
    reference: Country, partnership_id: PartnershipId, caller: Reader, runtime: Runtime
) -> PartnershipView:
    async with runtime.sessions() as session:
        return PartnershipView.of(await _existing(session, reference, partnership_id))


@router.patch(
    "/countries/{countryCode}/partnerships/{partnershipId}",
    summary="Change a partnership track (merge patch)",
    responses=CONFLICT,
)
async def update_partnership(
    reference: Country,
    partnership_id: PartnershipId,
    patch: PartnershipPatch,
    caller: Writer,
    runtime: Runtime,
    urls: Urls,
) -> PartnershipView:
    """Partial update of everything but the status; emits `partnership-updated` on a change."""
    updates = {name: getattr(patch, name) for name in patch.model_fields_set}
    raise_if(check_patch(updates))
    async with runtime.unit_of_work() as uow:
        partnership = await track_to_change(uow.session, reference.code, partnership_id, caller)
        content = merge(partnership.content, updates)
        raise_if(check_content(content))
        changed = changed_fields(partnership.content, content)
        if changed:
            partnership = replace(
                partnership,
                content=content,
                revision=partnership.revision + 1,
                updated_at=now(),
                updated_by=caller.organisation,
            )
            await save_partnership(uow.session, partnership)
            await uow.emit(
                PartnershipUpdated.model_validate(
                    {
                        **_routing(partnership, urls),
                        "revision": partnership.revision,
                        "changed_fields": changed,
                    }
                )
            )
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
        await _existing(session, reference, partnership_id)
        return [StatusChangeView.of(c) for c in await status_changes(session, partnership_id)]


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
    caller: Writer,
    runtime: Runtime,
    urls: Urls,
) -> PartnershipView:
    """Follows the transition table; emits `partnership-status-changed`."""
    async with runtime.unit_of_work() as uow:
        partnership = await track_to_change(uow.session, reference.code, partnership_id, caller)
        raise_if(
            check_transition(
                partnership.status, partnership.status_since, body.status, body.effective_from
            )
        )
        at = now()
        previous = partnership.status
        partnership = replace(
            partnership,
            status=body.status,
            status_since=body.effective_from,
            updated_at=at,
            updated_by=caller.organisation,
        )
        await save_partnership(uow.session, partnership)
        await add_status_change(
            uow.session,
            partnership.id,
            StatusChange(
                body.status, previous, body.effective_from, body.reason, at, caller.organisation
            ),
        )
        await uow.emit(
            PartnershipStatusChanged.model_validate(
                {
                    **_routing(partnership, urls),
                    "previous_status": previous,
                    "effective_from": body.effective_from,
                }
            )
        )
    return PartnershipView.of(partnership)
