"""Country profiles: every ISO 3166 country, what the taskforce records on it, and the history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from services.countries.api.common import CONFLICT, Context, Country, Reader, Write
from services.countries.api.profile_models import (
    CountryProfileView,
    CountrySummary,
    ProfilePatch,
    ProfileRevisionView,
)
from services.countries.service_layer import profiles
from services.countries.service_layer.commands import ChangeProfile, CountryFilter, Window
from shared.contracts.vocabulary import CountryRole, Designation
from shared.http.dependencies import Paging, Runtime
from shared.http.pagination import Page

router = APIRouter(tags=["Country profiles"])


@router.get("/countries", summary="List countries (all of ISO 3166)")
async def list_countries(
    request: Request,
    caller: Reader,
    runtime: Runtime,
    paging: Paging,
    region_code: Annotated[
        str | None,
        Query(
            alias="regionCode",
            pattern=r"^\d{3}$",
            description="M49 code of a region, sub-region or intermediate region (`015`).",
        ),
    ] = None,
    migration_role: Annotated[
        CountryRole | None, Query(alias="migrationRole", description="Countries with this role.")
    ] = None,
    designation: Annotated[
        Designation | None, Query(description="Countries with this current designation.")
    ] = None,
    name: Annotated[
        str | None,
        Query(min_length=1, max_length=100, description="Part of the English or Dutch name."),
    ] = None,
) -> Page[CountrySummary]:
    """Every ISO 3166-1 country, ordered by alpha-3 code, with the filters applied."""
    wanted = CountryFilter(region_code, migration_role, designation, name)
    async with runtime.sessions() as session:
        listed = await profiles.list_countries(wanted, session)
    chunk = [CountrySummary.of(e) for e in listed[paging.offset : paging.offset + paging.page_size]]
    return Page[CountrySummary].of(chunk, total=len(listed), params=paging, request=request)


@router.get("/countries/{countryCode}", summary="A country profile")
async def get_country(
    reference: Country, caller: Reader, runtime: Runtime, ctx: Context
) -> CountryProfileView:
    """Every ISO 3166 country has a profile; revision 0 means nothing was recorded yet."""
    async with runtime.sessions() as session:
        standing = await profiles.country_standing(reference.code, session)
    return CountryProfileView.of(reference, standing, ctx.today())


@router.patch(
    "/countries/{countryCode}",
    summary="Change a country profile (merge patch)",
    responses=CONFLICT,
)
async def update_country(
    reference: Country, patch: ProfilePatch, write: Write
) -> CountryProfileView:
    """Partial update with JSON merge patch semantics; lists are replaced whole.

    A change makes a new revision, adds it to the history and emits
    `country-profile-updated`; a patch that changes nothing does neither.
    """
    updates = {name: getattr(patch, name) for name in patch.model_fields_set}
    command = ChangeProfile(reference.code, updates, write.by)
    async with write.runtime.unit_of_work() as uow:
        standing = await profiles.change_profile(command, uow, write.ctx)
    return CountryProfileView.of(reference, standing, write.ctx.today())


@router.get("/countries/{countryCode}/history", summary="A country profile's change history")
async def get_country_history(
    request: Request, reference: Country, caller: Reader, runtime: Runtime, paging: Paging
) -> Page[ProfileRevisionView]:
    """Newest revision first: who changed which fields, when, from what to what."""
    async with runtime.sessions() as session:
        revisions, total = await profiles.profile_history(
            reference.code, Window(paging.offset, paging.page_size), session
        )
    views = [ProfileRevisionView.of(r) for r in revisions]
    return Page[ProfileRevisionView].of(views, total=total, params=paging, request=request)
