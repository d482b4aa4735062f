"""Representations of partnership tracks: what the API takes in and gives out."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import Field

from services.countries.domain.partnerships import (
    DevelopmentTheme,
    KnownOrganisation,
    KnownOrganisations,
    NegativeMeasure,
    Partnership,
    PartnershipContent,
    RelationLever,
    StatusChange,
    allowed_next,
)
from shared.contracts.vocabulary import Instruments, PartnershipKind, PartnershipStatus, Themes
from shared.http import UtcDateTime
from shared.http.models import ApiModel, InputModel, Text
from shared.http.shaping import built_from


class NewPartnership(PartnershipContent):
    """A partnership track to open, as `exploring` or (an existing partnership) `active`."""

    status: PartnershipStatus = Field(
        default=PartnershipStatus.EXPLORING, description="`exploring` or `active`."
    )
    status_since: date = Field(description="Date the opening status took effect.")


class PartnershipPatch(InputModel):
    """A partial update of a track (JSON merge patch); the status changes via `status-changes`."""

    title: Text | None = Field(default=None, min_length=1, max_length=200, description="Name.")
    kind: PartnershipKind | None = Field(default=None, description="Bilateral or EU.")
    themes: Themes | None = Field(default=None, description="Kinds of cooperation.")
    instruments: Instruments | None = Field(default=None, description="How NL works in it.")
    lead_organisation: KnownOrganisation | None = Field(default=None, description="Lead.")
    participating_organisations: KnownOrganisations | None = Field(
        default=None, description="Other ministries and agencies taking part."
    )
    levers: tuple[RelationLever, ...] | None = Field(
        default=None, description="Parts of the broader relation in play."
    )
    development_themes: tuple[DevelopmentTheme, ...] | None = Field(
        default=None, description="Development themes in play."
    )
    negative_measures_considered: tuple[NegativeMeasure, ...] | None = Field(
        default=None, description="Negative measures through the EU being considered."
    )
    description: Text | None = Field(default=None, max_length=4000, description="In words.")


class PartnershipView(PartnershipContent):
    """A partnership track with its status."""

    id: UUID = Field(description="The track's id.")
    country_code: str = Field(description="ISO 3166-1 alpha-3 code.")
    status: PartnershipStatus = Field(description="Where the track stands.")
    status_since: date = Field(description="Date the current status took effect.")
    allowed_next_statuses: tuple[PartnershipStatus, ...] = Field(
        description="Statuses the track may move to next."
    )
    revision: int = Field(description="Revision of the track's content, from 1.")
    created_at: UtcDateTime = Field(description="When the track was opened.")
    created_by: str = Field(description="Organisation that opened it.")
    updated_at: UtcDateTime = Field(description="When it last changed.")
    updated_by: str = Field(description="Organisation that last changed it.")

    @classmethod
    def of(cls, partnership: Partnership) -> PartnershipView:
        allowed = tuple(sorted(allowed_next(partnership.status)))
        return built_from(cls, partnership.content, partnership, allowed_next_statuses=allowed)


class NewStatusChange(InputModel):
    """Move a track to another status (see the transitions in the API description)."""

    status: PartnershipStatus = Field(description="The new status.")
    effective_from: date = Field(description="First day of the new status.")
    reason: Text | None = Field(default=None, max_length=2000, description="Why, in words.")


class StatusChangeView(ApiModel):
    """One step of a track's status history."""

    status: PartnershipStatus = Field(description="The status taken.")
    previous_status: PartnershipStatus | None = Field(description="Absent when the track opened.")
    effective_from: date = Field(description="First day of the status.")
    reason: str | None = Field(description="Why, in words.")
    recorded_at: UtcDateTime = Field(description="When the change was recorded.")
    recorded_by: str = Field(description="Organisation that recorded it.")

    @classmethod
    def of(cls, change: StatusChange) -> StatusChangeView:
        return built_from(cls, change)
