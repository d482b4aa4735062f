"""The programme aggregate as the IATI 2.03 activity standard describes it.

A programme has an IATI identifier, a title and description, a reporting
organisation, participating organisations in IATI roles (with CRS channel
codes for international organisations), an activity status, planned and actual
dates, recipient countries and DAC sectors whose percentages each add up to
exactly 100, the taskforce's themes, its owning ministry and the country
partnership it belongs to. ``check_new_programme`` holds the rules a
registration must meet, so the API can name every broken rule at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import IntEnum, StrEnum
from typing import Final
from uuid import UUID

from services.programmes.domain.codelists import CRS_CHANNEL_CODES, DAC_SECTOR_CODES
from shared.contracts.vocabulary import ActivityStatus, Theme
from shared.errors import Forbidden, Violation
from shared.organisations import OrganisationKind, get_organisation, is_known_organisation

HUNDRED: Final = Decimal(100)

#: IATI OrganisationType "Government": the type of the Dutch ministries and agencies.
GOVERNMENT: Final = "10"


class OrganisationRole(IntEnum):
    """IATI 2.03 OrganisationRole: how an organisation takes part in an activity."""

    FUNDING = 1
    ACCOUNTABLE = 2
    EXTENDING = 3
    IMPLEMENTING = 4

    @property
    def label(self) -> str:
        return self.name.lower()


class ReturnAssistance(StrEnum):
    """Whether a programme assists returns, and how; decides what may count as ODA."""

    NONE = "none"
    VOLUNTARY = "voluntary"
    FORCED = "forced"


@dataclass(frozen=True)
class Share:
    """A code (country or sector) with the percentage of the programme it takes."""

    code: str
    percentage: Decimal


@dataclass(frozen=True)
class ReportingOrganisation:
    """The IATI publisher of the activity: identifier, organisation type and name."""

    ref: str
    type: str
    name: str


@dataclass(frozen=True)
class ParticipatingOrganisation:
    """An organisation in an IATI role; Dutch partners also by their platform code."""

    role: OrganisationRole
    name: str
    ref: str | None = None
    type: str | None = None
    crs_channel_code: str | None = None
    organisation: str | None = None


@dataclass(frozen=True)
class Programme:
    """A programme as registered, with its current status and actual dates."""

    programme_id: str
    iati_identifier: str
    title: str
    description: str
    reporting_organisation: ReportingOrganisation
    owning_organisation: str
    participating_organisations: tuple[ParticipatingOrganisation, ...]
    status: ActivityStatus
    planned_start: date
    planned_end: date
    recipient_countries: tuple[Share, ...]
    sectors: tuple[Share, ...]
    themes: tuple[Theme, ...]
    return_assistance: ReturnAssistance
    created_at: datetime
    updated_at: datetime
    partnership_id: UUID | None = None
    actual_start: date | None = None
    actual_end: date | None = None
    results_framework_revision: int = 0

    @property
    def country_codes(self) -> tuple[str, ...]:
        return tuple(share.code for share in self.recipient_countries)

    @property
    def sector_codes(self) -> tuple[str, ...]:
        return tuple(share.code for share in self.sectors)

    @property
    def partner_organisations(self) -> tuple[str, ...]:
        """Dutch ministries and agencies taking part besides the owner (alerted too)."""
        codes = (org.organisation for org in self.participating_organisations)
        return tuple(dict.fromkeys(c for c in codes if c and c != self.owning_organisation))

    @property
    def channel_codes(self) -> tuple[str, ...]:
        codes = (org.crs_channel_code for org in self.participating_organisations)
        return tuple(dict.fromkeys(c for c in codes if c))


@dataclass(frozen=True)
class ProgrammeFilter:
    """Criteria of the programme list; all given ones must hold."""

    status: ActivityStatus | None = None
    country_code: str | None = None
    theme: Theme | None = None
    owning_organisation: str | None = None
    iati_identifier: str | None = None


def with_owner_accountable(
    owner: str, organisations: Sequence[ParticipatingOrganisation]
) -> tuple[ParticipatingOrganisation, ...]:
    """The participating organisations, with the owning ministry as accountable (IATI role 2).

    The owner is accountable by definition; listing it is the caller's choice,
    adding it when missing (at the end, so the caller's indexes stay valid in
    problem documents) keeps the JSON and the IATI export the same.
    """
    if any(
        o.organisation == owner and o.role is OrganisationRole.ACCOUNTABLE for o in organisations
    ):
        return tuple(organisations)
    accountable = ParticipatingOrganisation(
        role=OrganisationRole.ACCOUNTABLE,
        name=get_organisation(owner).name_en,
        type=GOVERNMENT,
        organisation=owner,
    )
    return (*organisations, accountable)


def check_shares(
    shares: Sequence[Share], field: str, what: str, known: Iterable[str] | None = None
) -> list[Violation]:
    """Percentages of recipient countries or sectors: each positive, together exactly 100."""
    violations: list[Violation] = []
    if not shares:
        return [Violation(field, f"at least one {what} is needed")]
    codes = [share.code for share in shares]
    if len(set(codes)) != len(codes):
        violations.append(Violation(field, f"each {what} may be listed once"))
    allowed = None if known is None else frozenset(known)
    for index, share in enumerate(shares):
        if allowed is not None and share.code not in allowed:
            violations.append(
                Violation(f"{field}[{index}].code", f"{share.code!r} is not a known {what} code")
            )
        if not Decimal(0) < share.percentage <= HUNDRED:
            violations.append(
                Violation(f"{field}[{index}].percentage", "must be more than 0 and at most 100")
            )
    summed = sum((share.percentage for share in shares), Decimal(0))
    if summed != HUNDRED:
        violations.append(Violation(field, f"percentages add up to {summed}, not 100"))
    return violations


def check_owner(organisation: str) -> None:
    """Programmes are owned by ministries: an agency or the secretariat takes part, not owns."""
    owner = get_organisation(organisation)
    if owner.kind is not OrganisationKind.MINISTRY:
        ministry = f" (its ministry: {owner.parent})" if owner.parent else ""
        raise Forbidden(
            f"Programmes are owned by ministries; {organisation} is a {owner.kind.value}"
            f"{ministry}. It can take part as a participating organisation."
        )


def check_new_programme(
    programme: Programme, *, reporting_prefix: str | None = None
) -> list[Violation]:
    """Every rule a registration breaks (empty when it may be registered)."""
    violations: list[Violation] = []
    if programme.planned_end < programme.planned_start:
        violations.append(Violation("plannedEnd", "is before plannedStart"))
    if reporting_prefix and not programme.iati_identifier.startswith(reporting_prefix + "-"):
        violations.append(
            Violation(
                "iatiIdentifier",
                f"must start with the reporting organisation's identifier {reporting_prefix}-",
            )
        )
    violations += check_shares(programme.recipient_countries, "recipientCountries", "country")
    violations += check_shares(programme.sectors, "sectors", "DAC 5-digit sector", DAC_SECTOR_CODES)
    if not programme.themes:
        violations.append(Violation("themes", "at least one theme is needed"))
    elif len(set(programme.themes)) != len(programme.themes):
        violations.append(Violation("themes", "each theme may be listed once"))
    violations += _check_participants(programme.participating_organisations)
    return violations


def _check_participants(organisations: Sequence[ParticipatingOrganisation]) -> list[Violation]:
    violations: list[Violation] = []
    for index, org in enumerate(organisations):
        where = f"participatingOrganisations[{index}]"
        if org.crs_channel_code is not None and org.crs_channel_code not in CRS_CHANNEL_CODES:
            violations.append(
                Violation(
                    f"{where}.crsChannelCode",
                    f"{org.crs_channel_code!r} is not an active CRS channel code",
                )
            )
        if org.organisation is not None and not is_known_organisation(org.organisation):
            violations.append(
                Violation(f"{where}.organisation", f"{org.organisation!r} is not in the registry")
            )
    if not any(org.role is OrganisationRole.IMPLEMENTING for org in organisations):
        violations.append(
            Violation("participatingOrganisations", "name at least one implementing organisation")
        )
    return violations
