"""Country profiles: every ISO 3166 country, what the taskforce records on it, and the history."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import Field

from services.countries.api.common import (
    CONFLICT,
    Country,
    OptionalDate,
    Reader,
    Urls,
    Writer,
    now,
    today,
)
from services.countries.authority import authorise_profile_change
from services.countries.domain.designations import Decision, review_overdue
from services.countries.domain.m49 import Region
from services.countries.domain.profiles import (
    CountryProfile,
    DiplomaticRelations,
    EuPartnership,
    KeyFigure,
    MigrationRoles,
    check_content,
    diff,
    merge,
)
from services.countries.domain.reference import CountryReference, all_countries
from services.countries.storage.designations import current_decision, current_decisions
from services.countries.storage.profiles import (
    load_profile,
    load_profiles,
    profile_history,
    save_profile,
)
from shared.contracts.countries import CountryProfileUpdated
from shared.contracts.vocabulary import CountryRole, Designation
from shared.errors import raise_if
from shared.http import UtcDateTime
from shared.http.dependencies import Paging, Runtime
from shared.http.models import ApiModel, InputModel, Text
from shared.http.pagination import Page

router = APIRouter(tags=["Country profiles"])


class RegionView(ApiModel):
    """An area of the UN M49 standard."""

    code: str = Field(pattern=r"^\d{3}$", description="M49 code, e.g. `015`.")
    name: str = Field(description="M49 English name, e.g. `Northern Africa`.")

    @classmethod
    def of(cls, region: Region | None) -> RegionView | None:
        return cls(code=region.code, name=region.name) if region is not None else None


class DesignationSummary(ApiModel):
    """The country's current standing in the geographic focus."""

    designation: Designation = Field(description="`none` when no decision was ever taken.")
    decision_id: UUID | None = Field(default=None, description="The current decision, if any.")
    decided_on: OptionalDate = Field(default=None, description="Date of the current decision.")
    review_date: OptionalDate = Field(default=None, description="When it is due for review.")
    review_overdue: bool = Field(description="True when the review date has passed.")

    @classmethod
    def of(cls, decision: Decision | None) -> DesignationSummary:
        if decision is None:
            return cls(designation=Designation.NONE, review_overdue=False)
        return cls(
            designation=decision.designation,
            decision_id=decision.id,
            decided_on=decision.decided_on,
            review_date=decision.review_date,
            review_overdue=review_overdue(decision.review_date, today()),
        )


class CountrySummary(ApiModel):
    """A country in the list: names, region, roles and designation."""

    country_code: str = Field(description="ISO 3166-1 alpha-3 code.")
    name_en: str = Field(description="English name (ISO 3166).")
    name_nl: str = Field(description="Dutch name (ISO 3166, Debian iso-codes translation).")
    region: RegionView | None = Field(description="M49 region; absent for Antarctica.")
    sub_region: RegionView | None = Field(description="M49 sub-region.")
    migration_roles: tuple[CountryRole, ...] = Field(description="Roles on migration routes.")
    designation: Designation = Field(description="Current designation (`none` if never decided).")
    revision: int = Field(description="Profile revision; 0 when nothing was recorded yet.")


class CountryProfileView(ApiModel):
    """A country profile: reference data, what the taskforce records, and the designation."""

    country_code: str = Field(description="ISO 3166-1 alpha-3 code.")
    alpha_2_code: str = Field(description="ISO 3166-1 alpha-2 code.")
    numeric_code: str = Field(description="ISO 3166-1 numeric code (also its M49 code).")
    name_en: str = Field(description="English name (ISO 3166).")
    name_nl: str = Field(description="Dutch name (ISO 3166, Debian iso-codes translation).")
    official_name_en: str | None = Field(description="Official English name, where ISO has one.")
    region: RegionView | None = Field(description="M49 region; absent for Antarctica.")
    sub_region: RegionView | None = Field(description="M49 sub-region.")
    intermediate_region: RegionView | None = Field(description="M49 intermediate region, if any.")
    migration_roles: tuple[CountryRole, ...] = Field(description="Roles on migration routes.")
    key_figures: tuple[KeyFigure, ...] = Field(description="Key figures with their sources.")
    diplomatic_relations: DiplomaticRelations | None = Field(
        description="How the Netherlands is represented in the country."
    )
    eu_partnership: EuPartnership | None = Field(description="Status of an EU partnership.")
    notes: str | None = Field(description="Free-text notes.")
    designation: DesignationSummary = Field(description="Current focus designation.")
    revision: int = Field(description="Profile revision; 0 when nothing was recorded yet.")
    updated_at: UtcDateTime | None = Field(description="When the profile last changed.")
    updated_by: str | None = Field(description="Organisation that last changed the profile.")

    @classmethod
    def of(
        cls, reference: CountryReference, profile: CountryProfile, decision: Decision | None
    ) -> CountryProfileView:
        location = reference.location
        content = profile.content
        return cls(
            country_code=reference.code,
            alpha_2_code=reference.alpha_2,
            numeric_code=reference.numeric,
            name_en=reference.name_en,
            name_nl=reference.name_nl,
            official_name_en=reference.official_name_en,
            region=RegionView.of(location.region if location else None),
            sub_region=RegionView.of(location.sub_region if location else None),
            intermediate_region=RegionView.of(location.intermediate_region if location else None),
            migration_roles=content.migration_roles,
            key_figures=content.key_figures,
            diplomatic_relations=content.diplomatic_relations,
            eu_partnership=content.eu_partnership,
            notes=content.notes,
            designation=DesignationSummary.of(decision),
            revision=profile.revision,
            updated_at=profile.updated_at,
            updated_by=profile.updated_by,
        )


class ProfilePatch(InputModel):
    """A partial update (JSON merge patch): fields sent replace, `null` clears, others stay."""

    migration_roles: MigrationRoles | None = Field(
        default=None, description="Origin, transit (both when both are given) or host."
    )
    key_figures: tuple[KeyFigure, ...] | None = Field(
        default=None, max_length=50, description="Replaces all key figures."
    )
    diplomatic_relations: DiplomaticRelations | None = Field(
        default=None, description="How the Netherlands is represented in the country."
    )
    eu_partnership: EuPartnership | None = Field(
        default=None, description="Status of an EU partnership with the country."
    )
    notes: Text | None = Field(default=None, max_length=4000, description="Free-text notes.")


class FieldChangeView(ApiModel):
    """One changed field with its values before and after."""

    field: str = Field(description="camelCase name of the profile field.")
    before: Any = Field(description="The value before the change (`null` when unset).")
    after: Any = Field(description="The value after the change (`null` when cleared).")


class ProfileRevisionView(ApiModel):
    """One revision of a profile: who changed what, when."""

    revision: int = Field(description="Revision the change produced, from 1.")
    changed_at: UtcDateTime = Field(description="When the change was recorded.")
    changed_by: str = Field(description="Organisation that made the change.")
    changes: list[FieldChangeView] = Field(description="The fields the change touched.")


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
    async with runtime.sessions() as session:
        profiles = await load_profiles(session)
        decisions = await current_decisions(session)
    wanted = name.casefold() if name else None
    summaries: list[CountrySummary] = []
    for reference in all_countries():
        profile = profiles.get(reference.code)
        roles = profile.content.migration_roles if profile else ()
        decision = decisions.get(reference.code)
        current = decision.designation if decision else Designation.NONE
        location = reference.location
        if region_code is not None and (location is None or region_code not in location.codes):
            continue
        if migration_role is not None and migration_role not in roles:
            continue
        if designation is not None and designation is not current:
            continue
        names = (reference.name_en.casefold(), reference.name_nl.casefold())
        if wanted is not None and not any(wanted in n for n in names):
            continue
        summaries.append(
            CountrySummary(
                country_code=reference.code,
                name_en=reference.name_en,
                name_nl=reference.name_nl,
                region=RegionView.of(location.region if location else None),
                sub_region=RegionView.of(location.sub_region if location else None),
                migration_roles=roles,
                designation=current,
                revision=profile.revision if profile else 0,
            )
        )
    chunk = summaries[paging.offset : paging.offset + paging.page_size]
    return Page[CountrySummary].of(chunk, total=len(summaries), params=paging, request=request)


@router.get("/countries/{countryCode}", summary="A country profile")
async def get_country(reference: Country, caller: Reader, runtime: Runtime) -> CountryProfileView:
    """Every ISO 3166 country has a profile; revision 0 means nothing was recorded yet."""
    async with runtime.sessions() as session:
        profile = await load_profile(session, reference.code)
        decision = await current_decision(session, reference.code)
    return CountryProfileView.of(reference, profile, decision)


@router.patch(
    "/countries/{countryCode}",
    summary="Change a country profile (merge patch)",
    responses=CONFLICT,
)
async def update_country(
    reference: Country, patch: ProfilePatch, caller: Writer, runtime: Runtime, urls: Urls
) -> CountryProfileView:
    """Partial update with JSON merge patch semantics; lists are replaced whole.

    A change makes a new revision, adds it to the history and emits
    `country-profile-updated`; a patch that changes nothing does neither.
    """
    updates = {name: getattr(patch, name) for name in patch.model_fields_set}
    async with runtime.unit_of_work() as uow:
        authorise_profile_change(caller)
        profile = await load_profile(uow.session, reference.code)
        content = merge(profile.content, updates)
        raise_if(check_content(content))
        changes = diff(profile.content, content)
        if changes:
            profile = CountryProfile(
                country_code=reference.code,
                content=content,
                revision=profile.revision + 1,
                updated_at=now(),
                updated_by=caller.organisation,
            )
            await save_profile(uow.session, profile, changes)
            await uow.emit(
                CountryProfileUpdated(
                    country_code=reference.code,
                    profile_url=urls.profile(reference.code),
                    revision=profile.revision,
                    changed_fields=tuple(change.field for change in changes),
                    migration_roles=content.migration_roles,
                    changed_by=caller.organisation,
                )
            )
        decision = await current_decision(uow.session, reference.code)
    return CountryProfileView.of(reference, profile, decision)


@router.get("/countries/{countryCode}/history", summary="A country profile's change history")
async def get_country_history(
    request: Request, reference: Country, caller: Reader, runtime: Runtime, paging: Paging
) -> Page[ProfileRevisionView]:
    """Newest revision first: who changed which fields, when, from what to what."""
    async with runtime.sessions() as session:
        revisions, total = await profile_history(
            session, reference.code, offset=paging.offset, limit=paging.page_size
        )
    views = [
        ProfileRevisionView(
            revision=r.revision,
            changed_at=r.changed_at,
            changed_by=r.changed_by,
            changes=[
                FieldChangeView(field=c.field, before=c.before, after=c.after) for c in r.changes
            ],
        )
        for r in revisions
    ]
    return Page[ProfileRevisionView].of(views, total=total, params=paging, request=request)
