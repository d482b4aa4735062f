"""Closed vocabularies and small value types shared by the v1 event contracts.

Everything a notification route or a monitoring rule filters on is a closed
vocabulary here (an enum), never free text: free text cannot be matched
reliably and may carry details about individuals, which events must not.
Identifiers of other resources are references (ids and URLs), so the detail
stays behind the owning service's access control.

Adding a member to an enum is an additive change within ``v1``; renaming or
removing one is a breaking change and needs a new event type.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum, StrEnum
from typing import Annotated, Any, Final, TypeVar
from uuid import UUID

import pycountry
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from shared.events.envelope import SOURCE_RE, TYPE_RE

# -- value types -------------------------------------------------------------


def _known_country(code: str) -> str:
    if pycountry.countries.get(alpha_3=code) is None:
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-3 country code")
    return code


T = TypeVar("T")


def _unique(items: tuple[T, ...]) -> tuple[T, ...]:
    if len(set(items)) != len(items):
        raise ValueError("items must be unique")
    return items


CountryCode = Annotated[
    str,
    Field(pattern=r"^[A-Z]{3}$", examples=["MAR"]),
    AfterValidator(_known_country),
]
"""ISO 3166-1 alpha-3 code, checked against ``pycountry``; the key of country events."""

CountryCodes = Annotated[
    tuple[CountryCode, ...],
    AfterValidator(_unique),
    Field(json_schema_extra={"uniqueItems": True}),
]

OrganisationCode = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{1,31}$", examples=["am"])]
"""Platform code of a ministry or agency (``am``, ``bz``, ``jenv``, ``kmar``, ``ind`` ...).

A pattern rather than an enum: the set of organisations is reference data
that grows when a new chain partner joins, which must not need a new type.
"""

OrganisationCodes = Annotated[
    tuple[OrganisationCode, ...],
    AfterValidator(_unique),
    Field(json_schema_extra={"uniqueItems": True}),
]

PROGRAMME_ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
"""What a programme id looks like, wherever one is read: events, bodies, paths, queries."""

ProgrammeId = Annotated[str, Field(pattern=PROGRAMME_ID_PATTERN, examples=["prg-2025-0007"])]
"""Opaque, URL-safe programme id assigned by the programmes service; the Kafka key."""

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
"""A lower-case kebab-case identifier (rule ids, indicator ids, budget lines)."""

EurAmount = Annotated[int, Field(ge=0)]
"""Whole euros. Budget frames and commitments are planned in whole euros; the
owning resource keeps exact amounts."""


# -- countries ---------------------------------------------------------------


class RiskRating(StrEnum):
    """Do-no-harm human-rights risk rating, in increasing order of concern."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    VERY_HIGH = "very-high"

    @property
    def rank(self) -> int:
        """0 for ``low`` up to 3 for ``very-high``: lets rules compare ratings."""
        return list(RiskRating).index(self)


class AssessmentPhase(StrEnum):
    """When a do-no-harm assessment was made: before a partnership, periodically, or ad hoc."""

    EX_ANTE = "ex-ante"
    PERIODIC = "periodic"
    AD_HOC = "ad-hoc"


class AssessmentOutcome(StrEnum):
    """What a do-no-harm assessment concludes for the cooperation with the country."""

    PROCEED = "proceed"
    PROCEED_WITH_MITIGATION = "proceed-with-mitigation"
    WITHHOLD = "withhold"


class RiskCategory(StrEnum):
    """Categories of human-rights risk a do-no-harm assessment covers for migrants."""

    REFOULEMENT = "refoulement"
    DETENTION_CONDITIONS = "detention-conditions"
    EXPLOITATION_AND_ABUSE = "exploitation-and-abuse"
    TRAFFICKING = "trafficking"
    DISCRIMINATION = "discrimination"
    DATA_PROTECTION_AND_SURVEILLANCE = "data-protection-and-surveillance"
    DIVERSION_OF_SUPPORT = "diversion-of-support"
    OTHER = "other"


class Designation(StrEnum):
    """A country's standing in the taskforce's geographic focus."""

    FOCUS = "focus"
    WATCH = "watch"
    NONE = "none"


class DesignationCriterion(StrEnum):
    """Why a country was chosen: the taskforce's selection criteria."""

    TRANSIT_COUNTRY = "transit-country"
    COUNTRY_OF_ORIGIN = "country-of-origin"
    BILATERAL_SCOPE = "bilateral-scope"
    ADDED_VALUE_OVER_EU = "added-value-over-eu"


class CountryRole(StrEnum):
    """A country's role on migration routes towards the EU and the Netherlands."""

    ORIGIN = "origin"
    TRANSIT = "transit"
    HOST = "host"


class PartnershipStatus(StrEnum):
    """Lifecycle of a partnership track with a country."""

    EXPLORING = "exploring"
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"


class PartnershipKind(StrEnum):
    """Whether the Netherlands leads a partnership bilaterally or takes part in an EU one."""

    BILATERAL = "bilateral"
    EU = "eu"


class Instrument(StrEnum):
    """How the Netherlands works within a partnership (policy agenda, May 2025)."""

    MIGRATION_DIALOGUE = "migration-dialogue"
    PROGRAMMES_VIA_INTERNATIONAL_ORGANISATIONS = "programmes-via-international-organisations"
    OPERATIONAL_DEPLOYMENT_OF_CHAIN_PARTNERS = "operational-deployment-of-chain-partners"


Instruments = Annotated[
    tuple[Instrument, ...], AfterValidator(_unique), Field(json_schema_extra={"uniqueItems": True})
]


# -- programmes --------------------------------------------------------------


class Theme(StrEnum):
    """The taskforce's kinds of migration cooperation (policy agenda, May 2025)."""

    ANTI_SMUGGLING_AND_TRAFFICKING = "anti-smuggling-and-trafficking"
    ASYLUM_AND_MIGRATION_MANAGEMENT = "asylum-and-migration-management"
    RETURN_COOPERATION = "return-cooperation"
    BORDER_MANAGEMENT = "border-management"
    PROTECTION = "protection"
    RETURN_FROM_THIRD_COUNTRIES = "return-from-third-countries"
    LEGAL_MIGRATION_PILOTS = "legal-migration-pilots"
    INFORMATION_CAMPAIGNS = "information-campaigns"


Themes = Annotated[
    tuple[Theme, ...], AfterValidator(_unique), Field(json_schema_extra={"uniqueItems": True})
]


class ActivityStatus(IntEnum):
    """IATI 2.03 ActivityStatus code: 1 Pipeline/identification, 2 Implementation,
    3 Finalisation, 4 Closed, 5 Cancelled, 6 Suspended."""

    PIPELINE = 1
    IMPLEMENTATION = 2
    FINALISATION = 3
    CLOSED = 4
    CANCELLED = 5
    SUSPENDED = 6

    @property
    def label(self) -> str:
        """The IATI codelist name."""
        return _ACTIVITY_STATUS_LABELS[self]


_ACTIVITY_STATUS_LABELS = {
    ActivityStatus.PIPELINE: "Pipeline/identification",
    ActivityStatus.IMPLEMENTATION: "Implementation",
    ActivityStatus.FINALISATION: "Finalisation",
    ActivityStatus.CLOSED: "Closed",
    ActivityStatus.CANCELLED: "Cancelled",
    ActivityStatus.SUSPENDED: "Suspended",
}

ACTIVE_STATUSES: Final = frozenset(
    {ActivityStatus.IMPLEMENTATION, ActivityStatus.FINALISATION, ActivityStatus.SUSPENDED}
)
"""Statuses in which a programme still acts in its countries (a country's risk concerns it).

The programmes service defines them (its lifecycle); a service reading the
programmes topic judges a programme's status by the same set.
"""


class BudgetLine(StrEnum):
    """The taskforce's budget lines: development cooperation (BHO) or Asylum & Migration (A&M).

    BHO is held by Foreign Affairs (Foreign Trade & Development), A&M by the
    Ministry of Asylum and Migration; both fund ODA and non-ODA spending.
    """

    BHO = "bho"
    AM = "am"


class IndicatorMeasure(IntEnum):
    """IATI 2.03 IndicatorMeasure code: 1 Unit, 2 Percentage, 3 Nominal, 4 Ordinal,
    5 Qualitative."""

    UNIT = 1
    PERCENTAGE = 2
    NOMINAL = 3
    ORDINAL = 4
    QUALITATIVE = 5


class IntendedDirection(StrEnum):
    """Which way an indicator should move for the intervention to be working."""

    INCREASE = "increase"
    DECREASE = "decrease"


class ReviewDecision(StrEnum):
    """Outcome of an adaptive-management review."""

    CONTINUE = "continue"
    ADAPT = "adapt"
    SUSPEND = "suspend"
    TERMINATE = "terminate"


# -- monitoring --------------------------------------------------------------


class FlagCategory(StrEnum):
    """Why monitoring flagged a programme for adaptive management."""

    COUNTERPRODUCTIVE = "counterproductive"
    NEGATIVE_SIDE_EFFECTS = "negative-side-effects"
    UNDERPERFORMING = "underperforming"
    POOR_EVALUATION = "poor-evaluation"
    RISK = "risk"


class Severity(StrEnum):
    """How urgently a finding needs attention, in increasing order."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 for ``low`` up to 3 for ``critical``: lets routes filter on a minimum."""
        return list(Severity).index(self)


class EvidenceKind(StrEnum):
    """What kind of resource a piece of evidence for a flag is."""

    INDICATOR_RESULT = "indicator-result"
    INCIDENT = "incident"
    EVALUATION = "evaluation"
    RISK_ASSESSMENT = "risk-assessment"


class FlagResolution(StrEnum):
    """How a flag came to be closed."""

    REVIEW_DECIDED = "review-decided"
    CONDITION_CLEARED = "condition-cleared"
    SUPERSEDED = "superseded"
    DISMISSED = "dismissed"


class IncidentCategory(StrEnum):
    """Kind of incident, without any detail that could identify the people involved."""

    EXPLOITATION_OR_ABUSE = "exploitation-or-abuse"
    ILL_TREATMENT = "ill-treatment"
    REFOULEMENT = "refoulement"
    ARBITRARY_DETENTION = "arbitrary-detention"
    LOSS_OF_LIFE_OR_INJURY = "loss-of-life-or-injury"
    MISUSE_OF_EQUIPMENT_OR_DATA = "misuse-of-equipment-or-data"
    FRAUD_OR_DIVERSION = "fraud-or-diversion"
    SECURITY = "security"
    OTHER = "other"


class SideEffectCategory(StrEnum):
    """Kind of negative side effect an incident report records (monitoring's incident list).

    Closed, and never about who: the people involved are not named anywhere.
    """

    EXPLOITATION = "exploitation"
    ABUSE = "abuse"
    MISTREATMENT = "mistreatment"
    REFOULEMENT = "refoulement"
    DETENTION_CONDITIONS = "detention-conditions"
    TRAFFICKING = "trafficking"
    DIVERSION_OF_FUNDS = "diversion-of-funds"
    OTHER = "other"


class EvaluationKind(StrEnum):
    """When in the programme cycle an evaluation was made."""

    MID_TERM = "mid-term"
    FINAL = "final"
    EX_POST = "ex-post"
    IMPACT = "impact"


class DacCriterion(StrEnum):
    """OECD DAC evaluation criteria (2019)."""

    RELEVANCE = "relevance"
    COHERENCE = "coherence"
    EFFECTIVENESS = "effectiveness"
    EFFICIENCY = "efficiency"
    IMPACT = "impact"
    SUSTAINABILITY = "sustainability"


class EvaluationRating(StrEnum):
    """Four-point evaluation scale."""

    HIGHLY_SATISFACTORY = "highly-satisfactory"
    SATISFACTORY = "satisfactory"
    UNSATISFACTORY = "unsatisfactory"
    HIGHLY_UNSATISFACTORY = "highly-unsatisfactory"


# -- notifications -----------------------------------------------------------


class DeliveryChannel(StrEnum):
    """How a notification reaches an organisation."""

    WEBHOOK = "webhook"
    INBOX = "inbox"


class DeliveryFailureReason(StrEnum):
    """Why a delivery attempt failed; the receiver's response body is never copied."""

    TIMEOUT = "timeout"
    CONNECTION_ERROR = "connection-error"
    TLS_ERROR = "tls-error"
    HTTP_CLIENT_ERROR = "http-client-error"
    HTTP_SERVER_ERROR = "http-server-error"
    SUBSCRIPTION_INACTIVE = "subscription-inactive"


# -- nested value objects ----------------------------------------------------


def field_title(name: str, _info: object) -> str:
    """Readable schema titles (``Programme id``) instead of pydantic's ``Programmeid``."""
    return name.replace("_", " ").capitalize()


class ValueObject(BaseModel):
    """Base of nested objects in event data: camelCase on the wire, like ``EventData``."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
        frozen=True,
        field_title_generator=field_title,
    )


class EventRef(ValueObject):
    """A reference to another CloudEvent by its identifying attributes.

    ``source`` + ``id`` identify an event uniquely (CloudEvents 1.0); ``type``
    saves the reader a lookup to know what it refers to.
    """

    event_id: UUID = Field(description="The referenced event's CloudEvents `id`.")
    event_type: str = Field(
        pattern=TYPE_RE.pattern, description="The referenced event's CloudEvents `type`."
    )
    source: str = Field(
        pattern=SOURCE_RE.pattern, description="The referenced event's CloudEvents `source`."
    )


def examples_of(model: type[BaseModel]) -> list[dict[str, Any]]:
    """The wire-form examples a contract declares in its JSON Schema.

    Contract tests validate every example against its model, and the JSON
    Schema and AsyncAPI documents show them to readers.
    """
    extra = model.model_config.get("json_schema_extra")
    if not isinstance(extra, dict):
        return []
    examples = extra.get("examples", [])
    if not isinstance(examples, Sequence):
        return []
    return [dict(example) for example in examples if isinstance(example, dict)]


def schema_examples(*examples: dict[str, Any]) -> ConfigDict:
    """Model config that publishes ``examples`` in the JSON Schema, with readable titles.

    Pydantic merges it with ``EventData``'s config, so the camelCase aliases
    and the tolerance for unknown fields stay.
    """
    return ConfigDict(
        json_schema_extra={"examples": list(examples)}, field_title_generator=field_title
    )
