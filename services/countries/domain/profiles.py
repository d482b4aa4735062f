"""Country profiles: what the taskforce records about a country, and how changes are kept.

A profile's content is a small document (migration roles, key figures,
diplomatic relations, EU partnership status, notes). It changes by partial
updates with JSON merge patch semantics (RFC 7396, :func:`..base.merge`): a
field that is sent replaces the stored value, ``null`` clears it, a field left
out stays as it is; lists are replaced whole. Every update that changes something yields the
list of changed fields with their values before and after, which the service
keeps as the profile's history (who, when, what).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Final

from pydantic import AfterValidator, Field

from services.countries.domain.base import FieldChange, ValueObject
from shared.contracts.vocabulary import CountryRole
from shared.errors import Violation
from shared.http.models import Text, WebUrl

#: The ``source`` of a figure that is made up for demonstration, not taken from a publication.
ILLUSTRATIVE_SOURCE: Final = "illustrative"


class DiplomaticRelations(StrEnum):
    """How the Netherlands is represented in the country; the basis for bilateral action."""

    #: A resident Dutch embassy.
    EMBASSY = "embassy"
    #: Relations through an embassy accredited from another country.
    NON_RESIDENT = "non-resident"
    #: Relations exist but are restricted (e.g. the embassy works from abroad for security).
    LIMITED = "limited"
    SUSPENDED = "suspended"
    NONE = "none"


class EuPartnershipStatus(StrEnum):
    """Where a comprehensive EU partnership with the country stands."""

    NONE = "none"
    EXPLORING = "exploring"
    IN_NEGOTIATION = "in-negotiation"
    CONCLUDED = "concluded"
    SUSPENDED = "suspended"


class KeyFigureKind(StrEnum):
    """What a key figure counts; ``other`` needs a label."""

    RETURNS_FROM_NL = "returns-from-nl"
    ASYLUM_APPLICATIONS_IN_NL = "asylum-applications-in-nl"
    IRREGULAR_ARRIVALS_ON_ROUTE = "irregular-arrivals-on-route"
    OTHER = "other"


class FigureUnit(StrEnum):
    """The unit of a key figure's value."""

    PERSONS = "persons"
    APPLICATIONS = "applications"
    #: Detections of irregular border crossings (how Frontex counts arrivals on a route).
    DETECTIONS = "detections"
    PERCENT = "percent"


def _unique_roles(roles: tuple[CountryRole, ...]) -> tuple[CountryRole, ...]:
    if len(set(roles)) != len(roles):
        raise ValueError("each role may be given once")
    return roles


MigrationRoles = Annotated[
    tuple[CountryRole, ...],
    AfterValidator(_unique_roles),
    Field(json_schema_extra={"uniqueItems": True}),
]


class KeyFigure(ValueObject):
    """One figure with its value, unit, period and source."""

    kind: KeyFigureKind = Field(description="What the figure counts.")
    label: Text | None = Field(
        default=None,
        min_length=1,
        max_length=120,
        description="What the figure counts, in words; required for kind `other`.",
    )
    value: float = Field(ge=0, le=1_000_000_000, description="The value, in `unit`.")
    unit: FigureUnit = Field(description="Unit of the value.")
    period_start: date = Field(description="First day of the period the figure covers.")
    period_end: date = Field(description="Last day of the period the figure covers.")
    source: Text = Field(
        min_length=1,
        max_length=300,
        description="Where the figure comes from; `illustrative` for a demonstration value.",
    )
    source_url: WebUrl | None = Field(default=None, description="Link to the source, if public.")
    illustrative: bool = Field(
        default=False, description="True when the figure is for illustration, not from a source."
    )


class EuPartnership(ValueObject):
    """The EU's comprehensive partnership with the country, as far as the Netherlands follows it."""

    status: EuPartnershipStatus = Field(description="Where the EU partnership stands.")
    name: Text | None = Field(
        default=None, min_length=1, max_length=200, description="Name of the partnership."
    )
    since: date | None = Field(default=None, description="Date the current status was reached.")


class ProfileContent(ValueObject):
    """The part of a profile the taskforce edits; empty for a country nothing was recorded on."""

    migration_roles: MigrationRoles = Field(
        default=(), description="Origin, transit (both, when both are given) or host country."
    )
    key_figures: tuple[KeyFigure, ...] = Field(
        default=(), max_length=50, description="Key figures with value, unit, period and source."
    )
    diplomatic_relations: DiplomaticRelations | None = Field(
        default=None, description="How the Netherlands is represented in the country."
    )
    eu_partnership: EuPartnership | None = Field(
        default=None, description="Status of an EU partnership with the country."
    )
    notes: Text | None = Field(default=None, max_length=4000, description="Free-text notes.")


@dataclass(frozen=True)
class CountryProfile:
    """A country's recorded profile; ``revision`` 0 means nothing was recorded yet."""

    country_code: str
    content: ProfileContent
    revision: int = 0
    updated_at: datetime | None = None
    updated_by: str | None = None

    def revised(self, content: ProfileContent, at: datetime, by: str) -> CountryProfile:
        """The next revision, holding ``content``, changed by ``by`` at ``at``."""
        return replace(
            self, content=content, revision=self.revision + 1, updated_at=at, updated_by=by
        )


@dataclass(frozen=True)
class ProfileRevision:
    """One entry of a profile's history: who changed which fields, when."""

    revision: int
    changed_at: datetime
    changed_by: str
    changes: tuple[FieldChange, ...]


def check_content(content: ProfileContent) -> list[Violation]:
    """Rules across fields of a profile's content.

    - a key figure's period ends on or after the day it starts;
    - a key figure of kind ``other`` has a label;
    - a percentage is at most 100;
    - a figure whose source is ``illustrative`` is marked ``illustrative``;
    - no two key figures count the same thing over the same period.
    """
    violations: list[Violation] = []
    seen: set[tuple[KeyFigureKind, str | None, date, date]] = set()
    for index, figure in enumerate(content.key_figures):
        at = f"keyFigures[{index}]"
        if figure.period_end < figure.period_start:
            violations.append(
                Violation(f"{at}.periodEnd", "The period ends before it starts (periodStart).")
            )
        if figure.kind is KeyFigureKind.OTHER and figure.label is None:
            violations.append(Violation(f"{at}.label", "A figure of kind `other` needs a label."))
        if figure.unit is FigureUnit.PERCENT and figure.value > 100:
            violations.append(Violation(f"{at}.value", "A percentage is at most 100."))
        if figure.source.strip().lower() == ILLUSTRATIVE_SOURCE and not figure.illustrative:
            violations.append(
                Violation(f"{at}.illustrative", "A figure with source `illustrative` must say so.")
            )
        identity = (figure.kind, figure.label, figure.period_start, figure.period_end)
        if identity in seen:
            violations.append(
                Violation(at, "Another key figure counts the same thing over the same period.")
            )
        seen.add(identity)
    return violations
