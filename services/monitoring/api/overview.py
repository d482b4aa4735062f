"""The overviews per programme and per country, and the programmes monitoring knows."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from services.monitoring.api.common import NOT_FOUND, Paging, ProgrammeIdPath, Runtime
from services.monitoring.api.overview_models import (
    CountryOverview,
    MonitoredProgramme,
    ProgrammeOverview,
)
from services.monitoring.api.readers import Viewer
from services.monitoring.service_layer import overview
from services.monitoring.service_layer.commands import Window
from shared.contracts.vocabulary import CountryCode
from shared.http import AuthenticatedCaller
from shared.http.pagination import Page

router = APIRouter(tags=["Overview"])


@router.get(
    "/programmes/{programmeId}/overview",
    operation_id="getProgrammeOverview",
    summary="A programme's indicator progress against targets, open flags, last evaluation",
    responses=NOT_FOUND,
)
async def programme_overview(
    programme_id: ProgrammeIdPath, viewer: Viewer, runtime: Runtime
) -> ProgrammeOverview:
    async with runtime.unit_of_work() as uow:
        found = await overview.programme_overview(programme_id, uow)
    return ProgrammeOverview.seen_by(viewer, found)


@router.get(
    "/countries/{countryCode}/overview",
    operation_id="getCountryOverview",
    summary="Open flags across the programmes in a country",
)
async def country_overview(
    country_code: Annotated[
        CountryCode, Path(alias="countryCode", description="ISO 3166-1 alpha-3 code.")
    ],
    caller: AuthenticatedCaller,
    runtime: Runtime,
) -> CountryOverview:
    async with runtime.unit_of_work() as uow:
        found = await overview.country_overview(country_code, uow)
    return CountryOverview.of(found)


@router.get(
    "/programmes", operation_id="listMonitoredProgrammes", summary="Programmes monitoring knows"
)
async def list_programmes(
    request: Request, caller: AuthenticatedCaller, runtime: Runtime, paging: Paging
) -> Page[MonitoredProgramme]:
    async with runtime.unit_of_work() as uow:
        found = await overview.monitored_programmes(Window(paging.offset, paging.page_size), uow)
    items = [MonitoredProgramme.of(p) for p in found.items]
    return Page[MonitoredProgramme].of(items, total=found.total, params=paging, request=request)
