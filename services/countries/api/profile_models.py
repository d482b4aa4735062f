"""What the country-profile routes take in and give out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from pydantic import Field

from services.countries.api.common import OptionalDate
from services.countries.domain.designations import Decision, review_overdue
from services.countries.domain.m49 import Location, Region
from services.countries.domain.profiles import (
    DiplomaticRelations,
    EuPartnership,
    KeyFigure,
    MigrationRoles,
    ProfileRevision,
)
from services.countries.domain.reference import CountryReference
from services.countries.service_layer.profiles import ListedCountry, Standing
from shared.contracts.vocabulary import CountryRole, Designation
from shared.http import UtcDateTime
from shared.http.models import ApiModel, InputModel, Text
from shared.http.shaping import built_from


class RegionView(ApiModel):
    """An area of the UN M49 standard."""

    code: str = Field(pattern=r"^\d{3}$", description="M49 code, e.g. `015`.")
    name: str = Field(description="M49 English name, e.g. `Northern Africa`.")

    @classmethod
    def of(cls, region: Region | None) -> RegionView | None:
        return cls(code=region.code, name=region.name) if region is not None else None


@dataclass(frozen=True)
class Regions:
    """Where a country lies, as the views show it: each M49 level, or ``None``."""

    region: RegionView | None
    sub_region: RegionView | None
    intermediate_region: RegionView | None

    @classmethod
    def of(cls, location: Location | None) -> Regions:
        if location is None:
            return cls(None, None, None)
        return cls(
            RegionView.of(location.region),
            RegionView.of(location.sub_region),
            RegionView.of(location.intermediate_region),
        )


class DesignationSummary(ApiModel):
    """The country's current standing in the geographic focus."""

    designation: Designation = Field(description="`none` when no decision was ever taken.")
    decision_id: UUID | None = Field(default=None, description="The current decision, if any.")
    decided_on: OptionalDate = Field(default=None, description="Date of the current decision.")
    review_date: OptionalDate = Field(default=None, description="When it is due for review.")
    review_overdue: bool = Field(description="True when the review date has passed.")

    @classmethod
    def of(cls, decision: Decision | None, today: date) -> DesignationSummary:
        """The standing ``decision`` gives, with its review judged on ``today``."""
        if decision is None:
            return cls(designation=Designation.NONE, review_overdue=False)
        overdue = review_overdue(decision.review_date, today)
        return built_from(cls, decision, decision_id=decision.id, review_overdue=overdue)


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

    @classmethod
    def of(cls, entry: ListedCountry) -> CountrySummary:
        reference, profile = entry.reference, entry.profile
        return built_from(
            cls,
            reference,
            Regions.of(reference.location),
            country_code=reference.code,
            migration_roles=profile.content.migration_roles if profile else (),
            designation=entry.designation,
            revision=profile.revision if profile else 0,
        )


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
    def of(cls, reference: CountryReference, standing: Standing, today: date) -> CountryProfileView:
        """The profile of ``reference`` with its designation as it stands on ``today``."""
        profile = standing.profile
        return built_from(
            cls,
            reference,
            Regions.of(reference.location),
            profile.content,
            profile,
            alpha_2_code=reference.alpha_2,
            numeric_code=reference.numeric,
            designation=DesignationSummary.of(standing.decision, today),
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

    @classmethod
    def of(cls, revision: ProfileRevision) -> ProfileRevisionView:
        changes = [built_from(FieldChangeView, change) for change in revision.changes]
        return built_from(cls, revision, changes=changes)
