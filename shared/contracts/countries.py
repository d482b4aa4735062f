"""v1 contracts of the countries service (topic ``taskforce.countries.v1``).

Every event is about one country and is keyed by its ISO 3166-1 alpha-3 code,
so all events of a country stay in order on one partition. Each change the
countries service records emits exactly one of them. ``human-rights-risk-assessed``
starts the do-no-harm flow: monitoring flags every active programme in a
country whose residual risk becomes high or very high.

Events carry codes, ids, dates, scores and closed vocabularies, never the free
text of a profile, decision, partnership or assessment: that stays behind the
service's access control at the linked URL.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Self
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, Field, HttpUrl, model_validator

from shared.contracts.vocabulary import (
    AssessmentOutcome,
    AssessmentPhase,
    CountryCode,
    CountryRole,
    Designation,
    Instruments,
    OrganisationCode,
    OrganisationCodes,
    PartnershipKind,
    PartnershipStatus,
    RiskCategory,
    RiskRating,
    Themes,
    schema_examples,
)
from shared.events.catalogue import EventData, event_type

_BASE = "http://127.0.0.1:8001/v1/countries/MAR"

FieldName = Annotated[str, Field(pattern=r"^[a-z][A-Za-z0-9]{0,63}$")]
"""A camelCase property name of a resource."""


def _distinct(names: tuple[str, ...]) -> tuple[str, ...]:
    if len(set(names)) != len(names):
        raise ValueError("field names must be unique")
    return names


FieldNames = Annotated[
    tuple[FieldName, ...],
    AfterValidator(_distinct),
    Field(min_length=1, json_schema_extra={"uniqueItems": True}),
]
"""The fields a change touched: at least one, each once."""


class CountryEvent(EventData):
    """Common part of every countries event: the country it is about."""

    key_field: ClassVar[str] = "country_code"

    country_code: CountryCode = Field(
        description="ISO 3166-1 alpha-3 code of the country; the Kafka key and CloudEvents subject."
    )


@event_type("countries", "country-profile-updated")
class CountryProfileUpdated(CountryEvent):
    """A country profile changed; readers refresh their copy from `profileUrl`.

    Names the changed fields instead of carrying the profile, so the event
    stays small, carries no free text, and readers that do not care about a
    field can skip it. Every ISO 3166 country has a profile from the start
    (names and region); revision 1 is the first change the taskforce recorded.
    """

    model_config = schema_examples(
        {
            "countryCode": "MAR",
            "profileUrl": _BASE,
            "revision": 4,
            "changedFields": ["migrationRoles", "keyFigures"],
            "migrationRoles": ["origin", "transit"],
            "changedBy": "am",
        }
    )

    profile_url: HttpUrl = Field(description="The country profile at the countries service.")
    revision: int = Field(ge=1, description="Profile revision after the change, from 1.")
    changed_fields: FieldNames = Field(
        description="camelCase names of the profile fields that changed."
    )
    migration_roles: tuple[CountryRole, ...] = Field(
        description="The country's roles on migration routes, as the profile now states them.",
    )
    changed_by: OrganisationCode = Field(description="The organisation that made the change.")


class DesignationDecided(CountryEvent):
    """Common part of the designation events: the decision and where to read it."""

    profile_url: HttpUrl = Field(description="The country profile at the countries service.")
    decision_id: UUID = Field(description="The designation decision.")
    decision_url: HttpUrl = Field(description="The decision, with its scores and rationale.")
    designation: Designation = Field(description="The designation now: focus, watch or none.")
    decided_by: OrganisationCode = Field(description="The organisation that took the decision.")
    decided_on: date = Field(description="Date of the decision.")
    weighted_score: float = Field(
        ge=0, le=5, description="Weighted criteria score (0-5) with the weights in force."
    )
    review_date: date | None = Field(
        default=None, description="When the designation is due for review, if set."
    )


_DECISION = {
    "countryCode": "MAR",
    "profileUrl": _BASE,
    "decisionId": "3c8f5a0e-6b7d-4e21-9a3f-0d2c1b4a5e6f",
    "decisionUrl": _BASE + "/designations/3c8f5a0e-6b7d-4e21-9a3f-0d2c1b4a5e6f",
    "designation": "focus",
    "decidedBy": "am",
    "decidedOn": "2025-05-23",
    "weightedScore": 4.25,
    "reviewDate": "2026-05-23",
}


@event_type("countries", "focus-designation-changed")
class FocusDesignationChanged(DesignationDecided):
    """A decision changed a country's standing in the geographic focus (focus, watch or none).

    A designation is a decision with a date and a deciding organisation; going
    back to `none` withdraws it. The scores stay at the decision's URL.
    """

    model_config = schema_examples({**_DECISION, "previousDesignation": "watch"})

    previous_designation: Designation = Field(description="The designation before the decision.")

    @model_validator(mode="after")
    def _changed(self) -> Self:
        if self.designation is self.previous_designation:
            raise ValueError("designation did not change")
        return self


@event_type("countries", "focus-designation-reviewed")
class FocusDesignationReviewed(DesignationDecided):
    """A decision confirmed a country's standing after a review: new scores, same designation.

    The seed asks for flexibility; a review re-scores the criteria and sets the
    next review date. Readers that only follow changes of standing can skip it.
    """

    model_config = schema_examples({**_DECISION, "weightedScore": 4.5, "reviewDate": "2027-05-23"})


_PARTNERSHIP_ID = "5b0c1c1e-8d0a-4a53-9a55-2f1f4f7d2c10"
_PARTNERSHIP = {
    "countryCode": "TUN",
    "partnershipId": _PARTNERSHIP_ID,
    "partnershipUrl": f"http://127.0.0.1:8001/v1/countries/TUN/partnerships/{_PARTNERSHIP_ID}",
    "kind": "eu",
    "status": "active",
    "leadOrganisation": "bz",
    "participatingOrganisations": ["am", "kmar"],
    "themes": ["border-management", "anti-smuggling-and-trafficking"],
    "instruments": ["migration-dialogue", "programmes-via-international-organisations"],
}


class PartnershipEvent(CountryEvent):
    """Common part of the partnership events: which track, who leads, what it covers."""

    partnership_id: UUID = Field(description="The partnership track.")
    partnership_url: HttpUrl = Field(description="The partnership track at the countries service.")
    kind: PartnershipKind = Field(
        description="Bilateral, or an EU partnership the Netherlands joins."
    )
    status: PartnershipStatus = Field(description="The status now.")
    lead_organisation: OrganisationCode = Field(
        description="The organisation that leads the track for the Netherlands."
    )
    participating_organisations: OrganisationCodes = Field(
        default=(), description="Other ministries and agencies taking part."
    )
    themes: Themes = Field(description="Kinds of cooperation the partnership covers.")
    instruments: Instruments = Field(
        default=(), description="How the Netherlands works within the partnership."
    )


@event_type("countries", "partnership-status-changed")
class PartnershipStatusChanged(PartnershipEvent):
    """A partnership track with a country was opened or moved to another status."""

    model_config = schema_examples(
        {**_PARTNERSHIP, "previousStatus": "exploring", "effectiveFrom": "2025-07-01"}
    )

    previous_status: PartnershipStatus | None = Field(
        default=None, description="The status before; absent when the track was just opened."
    )
    effective_from: date = Field(description="First day of the new status.")

    @model_validator(mode="after")
    def _changed(self) -> Self:
        if self.status is self.previous_status:
            raise ValueError("status did not change")
        return self


@event_type("countries", "partnership-updated")
class PartnershipUpdated(PartnershipEvent):
    """A partnership track's content changed (themes, instruments, organisations, levers ...).

    Status changes have their own event; this one names the changed fields so
    readers can refresh their copy from `partnershipUrl` when they care.
    """

    model_config = schema_examples(
        {**_PARTNERSHIP, "revision": 3, "changedFields": ["instruments", "levers"]}
    )

    revision: int = Field(ge=2, description="Revision of the track after the change (1 = opened).")
    changed_fields: FieldNames = Field(
        description="camelCase names of the partnership fields that changed."
    )


@event_type("countries", "human-rights-risk-assessed")
class HumanRightsRiskAssessed(CountryEvent):
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
            "outcome": "proceed-with-mitigation",
            "riskCategories": ["detention-conditions", "refoulement"],
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
    risk_categories: tuple[RiskCategory, ...] = Field(
        default=(), description="Risk categories whose residual rating is medium or above."
    )
    assessed_at: AwareDatetime = Field(description="When the assessment was concluded.")
    next_review_date: date = Field(description="When the assessment is due again.")
