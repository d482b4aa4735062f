"""Partnership tracks with a country: what they cover, who takes part, where they stand.

The letter describes per-country partnerships built from kinds of cooperation
(themes), delivered through instruments, embedded in the broader relation
(development themes, trade, security cooperation), with negative measures
through the EU as a possible lever (visa measures, trade preferences made
conditional on return cooperation).

**Status transitions** (explicit table, :data:`TRANSITIONS`)::

    exploring -> active | ended
    active    -> paused | ended
    paused    -> active | ended
    ended     -> (nothing: a new track is opened instead)

A track opens as ``exploring`` or ``active`` (an existing partnership the
taskforce starts to follow). Each status change has an effective date on or
after the current status's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Final, TypeVar
from uuid import UUID

from pydantic import AfterValidator, Field

from services.countries.domain.base import ValueObject, camel, diff
from shared.contracts.vocabulary import (
    Instruments,
    OrganisationCode,
    PartnershipKind,
    PartnershipStatus,
    Themes,
)
from shared.errors import Violation
from shared.http.models import Text
from shared.organisations import is_known_organisation

S = PartnershipStatus

#: Where a track may go from each status.
TRANSITIONS: Final[Mapping[PartnershipStatus, frozenset[PartnershipStatus]]] = {
    S.EXPLORING: frozenset({S.ACTIVE, S.ENDED}),
    S.ACTIVE: frozenset({S.PAUSED, S.ENDED}),
    S.PAUSED: frozenset({S.ACTIVE, S.ENDED}),
    S.ENDED: frozenset(),
}
#: Statuses a track may be opened in.
OPENING_STATUSES: Final = frozenset({S.EXPLORING, S.ACTIVE})


class RelationLever(StrEnum):
    """Parts of the broader relation with the country brought into play."""

    DEVELOPMENT_COOPERATION = "development-cooperation"
    TRADE = "trade"
    SECURITY_COOPERATION = "security-cooperation"


class DevelopmentTheme(StrEnum):
    """Development-cooperation themes the letter names as part of the broader relation."""

    FOOD_SECURITY = "food-security"
    WATER = "water"
    HEALTH = "health"
    YOUTH_EMPLOYMENT = "youth-employment"


class NegativeMeasure(StrEnum):
    """Measures through the EU considered when cooperation falls short."""

    VISA_MEASURES = "visa-measures"
    TRADE_PREFERENCE_CONDITIONALITY = "trade-preference-conditionality"


T = TypeVar("T")


def _unique(items: tuple[T, ...]) -> tuple[T, ...]:
    if len(set(items)) != len(items):
        raise ValueError("items must be unique")
    return items


def _known_organisation(code: str) -> str:
    if not is_known_organisation(code):
        raise ValueError(f"{code!r} is not an organisation in the registry")
    return code


KnownOrganisation = Annotated[OrganisationCode, AfterValidator(_known_organisation)]
"""An organisation code that the organisations registry (``shared.organisations``) knows."""

KnownOrganisations = Annotated[
    tuple[KnownOrganisation, ...],
    AfterValidator(_unique),
    Field(json_schema_extra={"uniqueItems": True}),
]


class PartnershipContent(ValueObject):
    """What a track covers and who takes part; everything but its status."""

    title: Text = Field(min_length=1, max_length=200, description="Short name of the track.")
    kind: PartnershipKind = Field(description="Bilateral, or an EU partnership NL takes part in.")
    themes: Themes = Field(description="Kinds of cooperation the track covers, at least one.")
    instruments: Instruments = Field(default=(), description="How the Netherlands works in it.")
    lead_organisation: KnownOrganisation = Field(
        description="The organisation that leads the track for the Netherlands."
    )
    participating_organisations: KnownOrganisations = Field(
        default=(), description="Other ministries and agencies taking part (not the lead)."
    )
    levers: tuple[RelationLever, ...] = Field(
        default=(),
        json_schema_extra={"uniqueItems": True},
        description="Parts of the broader relation brought into play.",
    )
    development_themes: tuple[DevelopmentTheme, ...] = Field(
        default=(),
        json_schema_extra={"uniqueItems": True},
        description="Development themes in play; needs the lever `development-cooperation`.",
    )
    negative_measures_considered: tuple[NegativeMeasure, ...] = Field(
        default=(),
        json_schema_extra={"uniqueItems": True},
        description="Negative measures through the EU that are being considered.",
    )
    description: Text | None = Field(
        default=None, max_length=4000, description="What the track is about, in words."
    )


#: The editable fields, in snake_case, in document order.
PARTNERSHIP_FIELDS: Final = tuple(PartnershipContent.model_fields)


@dataclass(frozen=True)
class Partnership:
    """A partnership track as recorded."""

    id: UUID
    country_code: str
    content: PartnershipContent
    status: PartnershipStatus
    status_since: date
    revision: int
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str

    @classmethod
    def opened(
        cls,
        id: UUID,
        country_code: str,
        content: PartnershipContent,
        status: PartnershipStatus,
        since: date,
        at: datetime,
        by: str,
    ) -> Partnership:
        """A new track at revision 1, opened by ``by`` at ``at`` in ``status`` from ``since``."""
        return cls(id, country_code, content, status, since, 1, at, by, at, by)

    def edited(self, content: PartnershipContent, at: datetime, by: str) -> Partnership:
        """The next revision of the track, holding ``content``."""
        return replace(
            self, content=content, revision=self.revision + 1, updated_at=at, updated_by=by
        )

    def moved(
        self, status: PartnershipStatus, effective_from: date, at: datetime, by: str
    ) -> Partnership:
        """The track in ``status`` from ``effective_from`` (checked by :func:`check_transition`)."""
        return replace(
            self, status=status, status_since=effective_from, updated_at=at, updated_by=by
        )

    def involves(self, organisation: str) -> bool:
        """``organisation`` leads the track or takes part in it."""
        content = self.content
        return (
            organisation == content.lead_organisation
            or organisation in content.participating_organisations
        )


@dataclass(frozen=True)
class StatusChange:
    """One step in a track's status history; ``previous_status`` is absent when it was opened."""

    status: PartnershipStatus
    previous_status: PartnershipStatus | None
    effective_from: date
    reason: str | None
    recorded_at: datetime
    recorded_by: str


def _duplicates(items: Sequence[Any], field: str) -> list[Violation]:
    seen: set[Any] = set()
    violations = []
    for index, item in enumerate(items):
        if item in seen:
            violations.append(Violation(f"{field}[{index}]", f"{item} is given twice."))
        seen.add(item)
    return violations


def check_content(content: PartnershipContent) -> list[Violation]:
    """Rules across fields of a track's content.

    - at least one theme;
    - lists hold each value once;
    - the lead organisation is not also listed as participating;
    - development themes are only in play with the lever ``development-cooperation``.
    """
    violations = [
        *([] if content.themes else [Violation("themes", "A track covers at least one theme.")]),
        *_duplicates(content.levers, "levers"),
        *_duplicates(content.development_themes, "developmentThemes"),
        *_duplicates(content.negative_measures_considered, "negativeMeasuresConsidered"),
    ]
    if content.lead_organisation in content.participating_organisations:
        index = content.participating_organisations.index(content.lead_organisation)
        violations.append(
            Violation(
                f"participatingOrganisations[{index}]",
                "The lead organisation is not listed again as participating.",
            )
        )
    if content.development_themes and RelationLever.DEVELOPMENT_COOPERATION not in content.levers:
        violations.append(
            Violation(
                "developmentThemes",
                "Development themes need the lever `development-cooperation` in `levers`.",
            )
        )
    return violations


def check_opening(status: PartnershipStatus) -> list[Violation]:
    if status not in OPENING_STATUSES:
        allowed = ", ".join(sorted(OPENING_STATUSES))
        return [Violation("status", f"A track opens as one of: {allowed}.")]
    return []


def allowed_next(status: PartnershipStatus) -> frozenset[PartnershipStatus]:
    return TRANSITIONS[status]


def check_transition(
    current: PartnershipStatus,
    since: date,
    new: PartnershipStatus,
    effective_from: date,
) -> list[Violation]:
    """A status change follows :data:`TRANSITIONS` and is not dated before the current status."""
    violations: list[Violation] = []
    if new not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (the track has ended)"
        violations.append(
            Violation(
                "status", f"A track that is {current} cannot become {new}; allowed: {allowed}."
            )
        )
    if effective_from < since:
        violations.append(
            Violation(
                "effectiveFrom",
                f"The track has been {current} since {since.isoformat()}; "
                "a change cannot take effect before that.",
            )
        )
    return violations


def check_patch(patch: Mapping[str, Any]) -> list[Violation]:
    """A merge patch may clear optional fields only (``null`` on a required one is refused)."""
    return [
        Violation(camel(name), "This field is required; it can be changed but not cleared.")
        for name, value in patch.items()
        if value is None and PartnershipContent.model_fields[name].is_required()
    ]


def changed_fields(before: PartnershipContent, after: PartnershipContent) -> list[str]:
    """camelCase names of the fields whose JSON value differs, in document order."""
    return [change.field for change in diff(before, after)]
