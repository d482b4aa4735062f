"""v1 contracts of the countries service (topic ``taskforce.countries.v1``).

Every event is about one country and is keyed by its ISO 3166-1 alpha-3 code,
so all events of a country stay in order on one partition. ``risk-assessed``
starts the do-no-harm flow: monitoring flags every active programme in a
country whose residual risk becomes high or very high.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Self
from uuid import UUID

from pydantic import AwareDatetime, Field, HttpUrl, model_validator

from shared.contracts.vocabulary import (
    AssessmentOutcome,
    AssessmentPhase,
    CountryCode,
    CountryRole,
    Designation,
    DesignationCriterion,
    HumanRightsRiskArea,
    OrganisationCode,
    PartnershipKind,
    PartnershipStatus,
    RiskRating,
    Themes,
    schema_examples,
)
from shared.events.catalogue import EventData, event_type

_BASE = "http://127.0.0.1:8001/v1/countries/MAR"

FieldName = Annotated[str, Field(pattern=r"^[a-z][A-Za-z0-9]{0,63}$")]
"""A camelCase property name of a resource."""


class CountryEvent(EventData):
    """Common part of every countries event: the country it is about."""

    key_field: ClassVar[str] = "country_code"

    country_code: CountryCode = Field(
        description="ISO 3166-1 alpha-3 code of the country; the Kafka key and CloudEvents subject."
    )


@event_type("countries", "country-profile-changed")
class CountryProfileChanged(CountryEvent):
    """A country profile was created or changed; readers refresh their copy from `profileUrl`.

    Names the changed fields instead of carrying the profile, so the event
    stays small and readers that do not care about a field can skip it.
    """

    model_config = schema_examples(
        {
            "countryCode": "MAR",
            "profileUrl": _BASE,
            "revision": 4,
            "changedFields": ["roles"],
            "roles": ["origin", "transit"],
        }
    )

    profile_url: HttpUrl = Field(description="The country profile at the countries service.")
    revision: int = Field(ge=1, description="Profile revision after the change, 1 when created.")
    changed_fields: tuple[FieldName, ...] = Field(
        description="camelCase names of the profile fields that changed; empty when created.",
    )
    roles: tuple[CountryRole, ...] = Field(
        description="The country's roles on migration routes, as the profile now states them.",
    )


@event_type("countries", "focus-country-designated")
class FocusCountryDesignated(CountryEvent):
    """A country was designated a focus country, or put on the watch list, or moved between the two.

    A country going back to no designation is ``focus-designation-withdrawn``.
    """

    model_config = schema_examples(
        {
            "countryCode": "MAR",
            "profileUrl": _BASE,
            "designation": "focus",
            "previousDesignation": "watch",
            "criteria": ["country-of-origin", "transit-country", "bilateral-scope"],
            "themes": ["return-cooperation", "anti-smuggling-and-trafficking"],
            "effectiveFrom": "2025-06-01",
        }
    )

    profile_url: HttpUrl = Field(description="The country profile at the countries service.")
    designation: Designation = Field(description="The new designation: `focus` or `watch`.")
    previous_designation: Designation = Field(description="The designation before this one.")
    criteria: tuple[DesignationCriterion, ...] = Field(
        min_length=1, description="The selection criteria the designation rests on."
    )
    themes: Themes = Field(
        description="Kinds of cooperation the taskforce pursues with the country."
    )
    effective_from: date = Field(description="First day the designation applies.")

    @model_validator(mode="after")
    def _is_a_designation(self) -> Self:
        if self.designation is Designation.NONE:
            raise ValueError("designation `none` is a focus-designation-withdrawn event")
        if self.designation is self.previous_designation:
            raise ValueError("designation did not change")
        return self


@event_type("countries", "focus-designation-withdrawn")
class FocusDesignationWithdrawn(CountryEvent):
    """A country's focus or watch designation was withdrawn: it left the geographic focus."""

    model_config = schema_examples(
        {
            "countryCode": "UGA",
            "profileUrl": "http://127.0.0.1:8001/v1/countries/UGA",
            "previousDesignation": "watch",
            "effectiveFrom": "2026-01-01",
        }
    )

    profile_url: HttpUrl = Field(description="The country profile at the countries service.")
    previous_designation: Designation = Field(
        description="The designation that was withdrawn: `focus` or `watch`."
    )
    effective_from: date = Field(description="First day the country has no designation.")

    @model_validator(mode="after")
    def _had_a_designation(self) -> Self:
        if self.previous_designation is Designation.NONE:
            raise ValueError("nothing to withdraw: previous designation is `none`")
        return self


@event_type("countries", "partnership-status-changed")
class PartnershipStatusChanged(CountryEvent):
    """A partnership track with a country was opened or moved to another status."""

    model_config = schema_examples(
        {
            "countryCode": "TUN",
            "partnershipId": "5b0c1c1e-8d0a-4a53-9a55-2f1f4f7d2c10",
            "partnershipUrl": "http://127.0.0.1:8001/v1/countries/TUN/partnerships/5b0c1c1e-8d0a-4a53-9a55-2f1f4f7d2c10",
            "kind": "eu",
            "status": "active",
            "previousStatus": "exploring",
            "leadOrganisation": "bz",
            "themes": ["border-management", "anti-smuggling-and-trafficking"],
            "effectiveFrom": "2025-07-01",
        }
    )

    partnership_id: UUID = Field(description="The partnership track.")
    partnership_url: HttpUrl = Field(description="The partnership track at the countries service.")
    kind: PartnershipKind = Field(
        description="Bilateral, or an EU partnership the Netherlands joins."
    )
    status: PartnershipStatus = Field(description="The status now.")
    previous_status: PartnershipStatus | None = Field(
        default=None, description="The status before; absent when the track was just opened."
    )
    lead_organisation: OrganisationCode = Field(
        description="The ministry that leads the track for the Netherlands."
    )
    themes: Themes = Field(description="Kinds of cooperation the partnership covers.")
    effective_from: date = Field(description="First day of the new status.")

    @model_validator(mode="after")
    def _changed(self) -> Self:
        if self.status is self.previous_status:
            raise ValueError("status did not change")
        return self


@event_type("countries", "risk-assessed")
class RiskAssessed(CountryEvent):
    """A do-no-harm human-rights risk assessment of the cooperation with a country was recorded.

    ``residualRating`` (the risk left after mitigation) drives adaptive
    management: when it is `high` or `very-high`, monitoring flags every active
    programme in the country. The assessment itself stays at `assessmentUrl`.
    """

    model_config = schema_examples(
        {
            "countryCode": "TUN",
            "assessmentId": "0f5b7a52-3c49-4d8e-bf3e-5a2f6d0c9e11",
            "assessmentUrl": "http://127.0.0.1:8001/v1/countries/TUN/risk-assessments/0f5b7a52-3c49-4d8e-bf3e-5a2f6d0c9e11",
            "partnershipId": "5b0c1c1e-8d0a-4a53-9a55-2f1f4f7d2c10",
            "phase": "periodic",
            "residualRating": "high",
            "previousResidualRating": "medium",
            "outcome": "review-programmes",
            "riskAreas": ["arbitrary-detention", "refoulement"],
            "assessedAt": "2025-09-15T10:00:00Z",
            "nextReviewDate": "2026-03-15",
        }
    )

    assessment_id: UUID = Field(description="The assessment.")
    assessment_url: HttpUrl = Field(description="The assessment at the countries service.")
    partnership_id: UUID | None = Field(
        default=None,
        description="The partnership track assessed; absent for a country-wide assessment.",
    )
    phase: AssessmentPhase = Field(
        description="Before a partnership (`ex-ante`), periodically within one, or ad hoc."
    )
    residual_rating: RiskRating = Field(description="Risk that remains after mitigation.")
    previous_residual_rating: RiskRating | None = Field(
        default=None,
        description="Residual rating of the previous assessment of the same scope, if any.",
    )
    outcome: AssessmentOutcome = Field(
        description="What the assessment concludes for the cooperation."
    )
    risk_areas: tuple[HumanRightsRiskArea, ...] = Field(
        default=(), description="Risk areas rated medium or above."
    )
    assessed_at: AwareDatetime = Field(description="When the assessment was concluded.")
    next_review_date: date = Field(description="When the assessment is due again.")
