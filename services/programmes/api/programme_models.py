"""The programme resource: what a caller sends to register one and what it reads back."""

from __future__ import annotations

from datetime import date
from typing import Self
from uuid import UUID

from pydantic import Field, model_validator

from services.programmes.api.common import Percentage
from services.programmes.api.readers import READERS, audience
from services.programmes.domain.lifecycle import STATUS_NAMES, Transition
from services.programmes.domain.programme import (
    GOVERNMENT,
    OrganisationRole,
    ParticipatingOrganisation,
    Programme,
    ReturnAssistance,
    Share,
)
from shared.contracts.programmes import IATI_IDENTIFIER_PATTERN
from shared.contracts.vocabulary import ActivityStatus, CountryCode, Theme
from shared.http import UtcDateTime
from shared.http.models import ApiModel, InputModel, Text
from shared.need_to_know import EXTENSION, NeedToKnow, withheld_field, withhold
from shared.organisations import get_organisation, is_known_organisation


class OrganisationIn(InputModel):
    """An organisation in an IATI role. Dutch partners by platform code, others by name."""

    role: str = Field(
        pattern=r"^(funding|accountable|extending|implementing)$",
        description="IATI OrganisationRole: funding, accountable, extending or implementing.",
    )
    name: Text | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Name as published; defaults to the registry's name for a platform code.",
    )
    ref: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{1,99}$",
        description="IATI organisation identifier, e.g. `XM-DAC-47066` for IOM.",
    )
    type: str | None = Field(
        default=None, pattern=r"^\d{2}$", description="IATI OrganisationType, e.g. 40 multilateral."
    )
    crs_channel_code: str | None = Field(
        default=None,
        pattern=r"^\d{5}$",
        description="CRS channel code of an international organisation, e.g. 47066 IOM.",
    )
    organisation: str | None = Field(
        default=None,
        pattern=r"^[a-z][a-z0-9-]{1,31}$",
        description="Platform code of a Dutch ministry or agency taking part, e.g. `kmar`.",
    )

    @model_validator(mode="after")
    def _named(self) -> Self:
        if self.name is None and self.organisation is None:
            raise ValueError("give a name, or the platform code of a Dutch organisation")
        return self

    def to_domain(self) -> ParticipatingOrganisation:
        name = self.name
        org_type = self.type
        if self.organisation is not None and is_known_organisation(self.organisation):
            name = name or get_organisation(self.organisation).name_en
            org_type = org_type or GOVERNMENT
        return ParticipatingOrganisation(
            role=OrganisationRole[self.role.upper()],
            name=name or self.organisation or "",
            ref=self.ref,
            type=org_type,
            crs_channel_code=self.crs_channel_code,
            organisation=self.organisation,
        )


class CountryShareIn(InputModel):
    country_code: CountryCode = Field(description="ISO 3166-1 alpha-3 recipient country.")
    percentage: Percentage


class SectorShareIn(InputModel):
    code: str = Field(pattern=r"^\d{5}$", description="OECD DAC 5-digit purpose code.")
    percentage: Percentage


class NewProgramme(InputModel):
    """A programme to register; it starts in the pipeline (IATI status 1)."""

    iati_identifier: str | None = Field(
        default=None,
        pattern=IATI_IDENTIFIER_PATTERN,
        description="IATI activity identifier; derived from the reporting organisation if absent.",
    )
    title: Text = Field(min_length=1, max_length=200)
    description: Text = Field(min_length=1, max_length=4000)
    participating_organisations: list[OrganisationIn] = Field(min_length=1, max_length=30)
    planned_start: date = Field(description="Planned start (IATI activity-date type 1).")
    planned_end: date = Field(description="Planned end (IATI activity-date type 3).")
    recipient_countries: list[CountryShareIn] = Field(
        min_length=1, max_length=60, description="Percentages add up to exactly 100."
    )
    sectors: list[SectorShareIn] = Field(
        min_length=1, max_length=20, description="Percentages add up to exactly 100."
    )
    themes: list[Theme] = Field(min_length=1, description="Kinds of migration cooperation.")
    return_assistance: ReturnAssistance = Field(
        default=ReturnAssistance.NONE,
        description="Whether the programme assists returns; `forced` rules out ODA.",
    )
    partnership_id: UUID | None = Field(
        default=None, description="The country partnership track the programme belongs to."
    )


class ReportingOrganisationOut(ApiModel):
    ref: str
    type: str
    name: str


class OrganisationOut(ApiModel):
    role: str = Field(description="IATI OrganisationRole name.")
    name: str
    ref: str | None = None
    type: str | None = None
    crs_channel_code: str | None = None
    organisation: str | None = None


class ShareOut(ApiModel):
    code: str
    percentage: Percentage


class CountryShareOut(ApiModel):
    country_code: str
    percentage: Percentage


class Link(ApiModel):
    href: str


class ProgrammeLinks(ApiModel):
    self: Link
    budgets: Link
    transactions: Link
    results_framework: Link
    reviews: Link
    status_transitions: Link
    iati: Link


class ProgrammeOut(ApiModel):
    """A programme in the registry."""

    programme_id: str
    iati_identifier: str
    title: str
    description: str
    reporting_organisation: ReportingOrganisationOut
    owning_organisation: str
    participating_organisations: list[OrganisationOut]
    status: ActivityStatus = Field(description="IATI ActivityStatus code.")
    status_name: str = Field(description="The status in words, e.g. `implementation`.")
    planned_start: date
    planned_end: date
    actual_start: date | None = None
    actual_end: date | None = None
    recipient_countries: list[CountryShareOut]
    sectors: list[ShareOut]
    themes: list[Theme]
    return_assistance: ReturnAssistance
    partnership_id: UUID | None = None
    results_framework_revision: int = Field(description="0 until a framework is set.")
    disbursements_on_hold: bool = Field(
        description="True while a review with a critical trigger is open."
    )
    open_review_id: UUID | None = None
    created_at: UtcDateTime
    updated_at: UtcDateTime
    links: ProgrammeLinks = Field(alias="_links")

    @classmethod
    def of(
        cls, programme: Programme, url: str, *, on_hold: bool, open_review: UUID | None
    ) -> ProgrammeOut:
        def link(path: str) -> Link:
            return Link(href=url + path)

        return cls(
            programme_id=programme.programme_id,
            iati_identifier=programme.iati_identifier,
            title=programme.title,
            description=programme.description,
            reporting_organisation=ReportingOrganisationOut(
                ref=programme.reporting_organisation.ref,
                type=programme.reporting_organisation.type,
                name=programme.reporting_organisation.name,
            ),
            owning_organisation=programme.owning_organisation,
            participating_organisations=[
                OrganisationOut(
                    role=o.role.label,
                    name=o.name,
                    ref=o.ref,
                    type=o.type,
                    crs_channel_code=o.crs_channel_code,
                    organisation=o.organisation,
                )
                for o in programme.participating_organisations
            ],
            status=programme.status,
            status_name=STATUS_NAMES[programme.status],
            planned_start=programme.planned_start,
            planned_end=programme.planned_end,
            actual_start=programme.actual_start,
            actual_end=programme.actual_end,
            recipient_countries=[
                CountryShareOut(country_code=s.code, percentage=s.percentage)
                for s in programme.recipient_countries
            ],
            sectors=[ShareOut(code=s.code, percentage=s.percentage) for s in programme.sectors],
            themes=list(programme.themes),
            return_assistance=programme.return_assistance,
            partnership_id=programme.partnership_id,
            results_framework_revision=programme.results_framework_revision,
            disbursements_on_hold=on_hold,
            open_review_id=open_review,
            created_at=programme.created_at,
            updated_at=programme.updated_at,
            links=ProgrammeLinks(
                self=link(""),
                budgets=link("/budgets"),
                transactions=link("/transactions"),
                results_framework=link("/results-framework"),
                reviews=link("/reviews"),
                status_transitions=link("/status-transitions"),
                iati=link("/iati"),
            ),
        )


def shares_of(items: list[CountryShareIn] | list[SectorShareIn]) -> tuple[Share, ...]:
    return tuple(
        Share(i.country_code if isinstance(i, CountryShareIn) else i.code, i.percentage)
        for i in items
    )


class StatusTransitionIn(InputModel):
    """A move of the lifecycle, with its reason."""

    status: ActivityStatus = Field(description="The IATI ActivityStatus code to move to.")
    reason: Text = Field(min_length=1, max_length=2000, description="Why; kept with the record.")
    effective_on: date | None = Field(
        default=None, description="First day of the new status; today if absent."
    )


class StatusTransitionOut(ApiModel):
    transition_id: UUID
    from_status: ActivityStatus
    to_status: ActivityStatus
    to_status_name: str
    effective_on: date
    changed_by: str = Field(description="The organisation that made the change.")
    recorded_at: UtcDateTime
    reason: str | None = Field(
        default=None,
        description="Why. For a move a review decided, the reason repeats the review's rationale "
        f"and is need-to-know: only {READERS} and the taskforce secretariat read it, with a "
        "token carrying a scope of this service; for everyone else it is null and named in "
        "`withheld`. Other reasons are read by every caller.",
        json_schema_extra={EXTENSION: True},
    )
    review_id: UUID | None = Field(default=None, description="The review that decided it, if any.")
    withheld: list[str] = withheld_field("reason")

    @classmethod
    def of(cls, transition: Transition, *, shown: bool) -> StatusTransitionOut:
        """The move; a review-decided reason only when ``shown`` (else null, named withheld)."""
        texts, withheld = withhold(shown or transition.review_id is None, reason=transition.reason)
        return cls(
            transition_id=transition.transition_id,
            from_status=transition.from_status,
            to_status=transition.to_status,
            to_status_name=STATUS_NAMES[transition.to_status],
            effective_on=transition.effective_on,
            changed_by=transition.changed_by,
            recorded_at=transition.recorded_at,
            reason=texts["reason"],
            review_id=transition.review_id,
            withheld=withheld,
        )

    @classmethod
    def seen_by(
        cls, viewer: NeedToKnow, programme: Programme, transition: Transition
    ) -> StatusTransitionOut:
        """The move as ``viewer`` may read it; a review's rationale handed out is noted."""
        if transition.review_id is None:
            return cls.of(transition, shown=True)
        readers = audience(programme, transition.changed_by)
        ref = f"status-transition/{transition.transition_id}"
        return cls.of(transition, shown=viewer.reveal(readers, ref, transition.reason))


class StatusTransitionList(ApiModel):
    items: list[StatusTransitionOut]
