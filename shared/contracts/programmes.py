"""v1 contracts of the programmes service (topic ``taskforce.programmes.v1``).

Every event is about one programme and is keyed by ``programmeId``, so a
programme's registration, approval, reviews and status changes stay in order.
Each carries the routing fields of ``ProgrammeEvent`` because notification
routes filter on owner, countries and themes without a lookup.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Self
from uuid import UUID

from pydantic import Field, HttpUrl, model_validator

from shared.contracts.vocabulary import (
    ActivityStatus,
    BudgetLine,
    CountryCodes,
    EurAmount,
    EventRef,
    IndicatorMeasure,
    IntendedDirection,
    OrganisationCode,
    OrganisationCodes,
    ProgrammeId,
    ReviewDecision,
    Slug,
    Themes,
    ValueObject,
    schema_examples,
)
from shared.events.catalogue import EventData, event_type

CrsChannelCode = Annotated[str, Field(pattern=r"^\d{5}$")]
"""OECD CRS channel code of an implementing organisation (IATI CRSChannelCode)."""

DacSectorCode = Annotated[str, Field(pattern=r"^\d{5}$")]
"""OECD DAC 5-digit purpose code (IATI Sector vocabulary 1), e.g. 15190 for migration."""

IATI_IDENTIFIER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/-]{2,99}$"
"""An IATI activity identifier: the reporting organisation's identifier, a hyphen, the activity."""


class ProgrammeEvent(EventData):
    """Routing fields every programme-related event carries (programmes and monitoring).

    Notification routes match on ``owningOrganisation``, ``partnerOrganisations``,
    ``countryCodes`` and ``themes``; carrying them on each event keeps routing
    stateless and lets a route be evaluated on the event alone.
    """

    key_field: ClassVar[str] = "programme_id"

    programme_id: ProgrammeId = Field(
        description="The programme; the Kafka key and CloudEvents subject."
    )
    owning_organisation: OrganisationCode = Field(
        description="The ministry accountable for the programme (IATI role 2), e.g. `am`, `bz`."
    )
    partner_organisations: OrganisationCodes = Field(
        default=(),
        description="Other ministries and agencies taking part (e.g. `kmar`, `ind`); alerted too.",
    )
    country_codes: CountryCodes = Field(
        description="Countries the programme works in; empty for a programme without one."
    )
    themes: Themes = Field(description="Kinds of migration cooperation the programme delivers.")


#: Routing fields of the example programme used in the schema examples.
PROGRAMME_EXAMPLE: dict[str, object] = {
    "programmeId": "prg-2025-0007",
    "owningOrganisation": "am",
    "partnerOrganisations": ["kmar"],
    "countryCodes": ["TUN", "MAR"],
    "themes": ["anti-smuggling-and-trafficking", "border-management"],
}
_URL = "http://127.0.0.1:8002/v1/programmes/prg-2025-0007"
_REVIEW_ID = "7d3c2b1a-0e9f-4a8b-8c7d-6e5f4a3b2c1d"
_FLAG_ID = "c2f1e0d9-8b7a-4c6d-9e5f-1a2b3c4d5e6f"


@event_type("programmes", "programme-registered")
class ProgrammeRegistered(ProgrammeEvent):
    """A programme was entered in the registry (IATI 2.03 aligned), in the pipeline."""

    model_config = schema_examples(
        {
            **PROGRAMME_EXAMPLE,
            "programmeUrl": _URL,
            "iatiIdentifier": "XM-DAC-7-TF-COMPASS",
            "title": "Countering migrant smuggling in North Africa",
            "status": 1,
            "dacSectors": ["15190"],
            "channelCodes": ["47066"],
            "plannedStart": "2026-01-01",
            "plannedEnd": "2028-12-31",
            "partnershipId": "5b0c1c1e-8d0a-4a53-9a55-2f1f4f7d2c10",
        }
    )

    programme_url: HttpUrl = Field(description="The programme at the programmes service.")
    iati_identifier: str = Field(
        pattern=IATI_IDENTIFIER_PATTERN,
        description="IATI activity identifier (reporting organisation prefix, then the activity).",
    )
    title: str = Field(
        min_length=1,
        max_length=200,
        description="Programme title as published; never about persons.",
    )
    status: ActivityStatus = Field(description="IATI activity status code at registration.")
    dac_sectors: tuple[DacSectorCode, ...] = Field(
        min_length=1,
        description="OECD DAC 5-digit purpose codes, e.g. 15190 (orderly, safe migration).",
    )
    channel_codes: tuple[CrsChannelCode, ...] = Field(
        default=(),
        description="CRS channel codes of implementing partners, e.g. 47066 IOM, 41121 UNHCR.",
    )
    planned_start: date = Field(description="Planned start date (IATI activity-date type 1).")
    planned_end: date = Field(description="Planned end date (IATI activity-date type 3).")
    partnership_id: UUID | None = Field(
        default=None, description="The country partnership track the programme belongs to."
    )

    @model_validator(mode="after")
    def _ordered_dates(self) -> Self:
        if self.planned_end < self.planned_start:
            raise ValueError("plannedEnd is before plannedStart")
        return self


class YearBudget(ValueObject):
    """The part of a programme's budget planned for one year, on one budget line."""

    year: int = Field(ge=2000, le=2100, description="Budget year.")
    budget_line: BudgetLine = Field(description="Budget line: `bho` (BHO) or `am` (A&M).")
    oda: bool = Field(description="True when the amount counts as ODA.")
    amount_eur: EurAmount = Field(
        description="Planned amount in whole euros (rounded half up; the programme keeps cents)."
    )


class IndicatorTarget(ValueObject):
    """What an indicator should reach by the end of one period."""

    period_start: date = Field(description="First day of the target period.")
    period_end: date = Field(description="Last day of the target period.")
    value: float | None = Field(
        default=None, description="Target value; absent for a qualitative indicator."
    )

    @model_validator(mode="after")
    def _ordered_period(self) -> Self:
        if self.period_end < self.period_start:
            raise ValueError("periodEnd is before periodStart")
        return self


class IndicatorDefinition(ValueObject):
    """One indicator of a results framework, as monitoring needs it to judge results."""

    indicator_id: Slug = Field(description="Indicator id, unique within the programme.")
    title: str = Field(
        min_length=1, max_length=200, description="What the indicator measures, as published."
    )
    measure: IndicatorMeasure = Field(description="IATI indicator measure code.")
    direction: IntendedDirection = Field(
        description="Which way the indicator should move (IATI `ascending` true = increase)."
    )
    baseline: float | None = Field(default=None, description="Baseline value, if measured.")
    baseline_year: int | None = Field(default=None, ge=2000, le=2100, description="Baseline year.")
    targets: tuple[IndicatorTarget, ...] = Field(
        default=(), description="Targets per period, in period order."
    )


_INDICATORS_EXAMPLE: list[dict[str, object]] = [
    {
        "indicatorId": "smuggling-networks-disrupted",
        "title": "Smuggling networks disrupted with partner authorities",
        "measure": 1,
        "direction": "increase",
        "baseline": 3.0,
        "baselineYear": 2025,
        "targets": [
            {"periodStart": "2026-01-01", "periodEnd": "2026-12-31", "value": 6.0},
            {"periodStart": "2027-01-01", "periodEnd": "2027-12-31", "value": 12.0},
        ],
    },
    {
        "indicatorId": "reported-abuse-at-border-posts",
        "title": "Reported abuse of migrants at supported border posts",
        "measure": 1,
        "direction": "decrease",
        "targets": [],
    },
]


def _unique_indicator_ids(indicators: tuple[IndicatorDefinition, ...]) -> None:
    ids = [indicator.indicator_id for indicator in indicators]
    if len(set(ids)) != len(ids):
        raise ValueError("indicator ids must be unique")


@event_type("programmes", "programme-approved")
class ProgrammeApproved(ProgrammeEvent):
    """The owning ministry approved a programme (pipeline to implementation).

    Carries the budget by year, budget line and ODA flag, and the results
    framework in force, so monitoring can set up its plan in one step.
    """

    model_config = schema_examples(
        {
            **PROGRAMME_EXAMPLE,
            "programmeUrl": _URL,
            "approvedOn": "2025-11-20",
            "approvedBy": "am",
            "totalBudgetEur": 12000000,
            "budget": [
                {"year": 2026, "budgetLine": "bho", "oda": True, "amountEur": 4000000},
                {"year": 2027, "budgetLine": "bho", "oda": True, "amountEur": 4000000},
                {"year": 2028, "budgetLine": "am", "oda": False, "amountEur": 4000000},
            ],
            "resultsFrameworkRevision": 2,
            "indicators": _INDICATORS_EXAMPLE,
        }
    )

    programme_url: HttpUrl = Field(description="The programme at the programmes service.")
    approved_on: date = Field(description="Date of the approval decision.")
    approved_by: OrganisationCode = Field(description="The organisation that approved it.")
    total_budget_eur: EurAmount = Field(description="Approved total in whole euros.")
    budget: tuple[YearBudget, ...] = Field(
        min_length=1, description="The approved total split by year, budget line and ODA flag."
    )
    results_framework_revision: int = Field(
        ge=1, description="Revision of the results framework the approval rests on."
    )
    indicators: tuple[IndicatorDefinition, ...] = Field(
        min_length=1, description="The indicators in force at approval."
    )

    @model_validator(mode="after")
    def _adds_up(self) -> Self:
        if sum(part.amount_eur for part in self.budget) != self.total_budget_eur:
            raise ValueError("budget parts do not add up to totalBudgetEur")
        _unique_indicator_ids(self.indicators)
        return self


@event_type("programmes", "programme-status-changed")
class ProgrammeStatusChanged(ProgrammeEvent):
    """A programme moved to another IATI activity status (e.g. implementation, suspended).

    Every transition of the lifecycle emits one, approval and review decisions
    included; the reason stays with the transition at the programmes service.
    """

    model_config = schema_examples(
        {
            **PROGRAMME_EXAMPLE,
            "programmeUrl": _URL,
            "status": 6,
            "previousStatus": 2,
            "effectiveOn": "2026-04-02",
            "changedBy": "am",
            "reviewId": _REVIEW_ID,
        }
    )

    programme_url: HttpUrl = Field(description="The programme at the programmes service.")
    status: ActivityStatus = Field(description="IATI activity status code now.")
    previous_status: ActivityStatus = Field(description="IATI activity status code before.")
    effective_on: date = Field(description="First day of the new status.")
    changed_by: OrganisationCode | None = Field(
        default=None, description="The organisation that made the change."
    )
    review_id: UUID | None = Field(
        default=None, description="The review whose decision caused the change, if any."
    )

    @model_validator(mode="after")
    def _changed(self) -> Self:
        if self.status is self.previous_status:
            raise ValueError("status did not change")
        return self


@event_type("programmes", "results-framework-changed")
class ResultsFrameworkChanged(ProgrammeEvent):
    """A programme's results framework was set or revised; it carries the full indicator set.

    The full set (not a diff) lets monitoring replace its copy in one step and
    keeps a replay from the start correct.
    """

    model_config = schema_examples(
        {
            **PROGRAMME_EXAMPLE,
            "resultsFrameworkUrl": f"{_URL}/results-framework",
            "revision": 2,
            "indicators": _INDICATORS_EXAMPLE,
        }
    )

    results_framework_url: HttpUrl = Field(
        description="The results framework at the programmes service."
    )
    revision: int = Field(ge=1, description="Framework revision, 1 when first set.")
    indicators: tuple[IndicatorDefinition, ...] = Field(description="All indicators now in force.")

    @model_validator(mode="after")
    def _unique_indicators(self) -> Self:
        _unique_indicator_ids(self.indicators)
        return self


@event_type("programmes", "budget-frame-exceeded")
class BudgetFrameExceeded(ProgrammeEvent):
    """Commitments for a year exceed the taskforce budget frame of a budget line and ODA flag.

    Keyed by the programme whose commitment tipped the frame over, so the alert
    follows that programme's approval on the same partition. The frame's
    finance owner is `budgetHolder`.
    """

    model_config = schema_examples(
        {
            **PROGRAMME_EXAMPLE,
            "programmeUrl": _URL,
            "frameUrl": "http://127.0.0.1:8002/v1/budget-frame/summary?year=2027",
            "transactionId": "1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a1b",
            "year": 2027,
            "budgetLine": "bho",
            "oda": True,
            "budgetHolder": "bz",
            "framedEur": 60000000,
            "committedEur": 61500000,
            "excessEur": 1500000,
        }
    )

    programme_url: HttpUrl = Field(description="The programme whose commitment exceeded the frame.")
    frame_url: HttpUrl = Field(
        description="The year's budget-frame summary at the programmes service."
    )
    transaction_id: UUID | None = Field(
        default=None, description="The commitment that left the frame exceeded."
    )
    year: int = Field(ge=2000, le=2100, description="Budget year of the frame.")
    budget_line: BudgetLine = Field(description="Budget line of the frame: `bho` or `am`.")
    oda: bool = Field(description="True for the ODA part of the frame, false for non-ODA.")
    budget_holder: OrganisationCode = Field(
        description="Ministry that holds the budget line (the finance owner to alert)."
    )
    framed_eur: EurAmount = Field(description="The frame for the year, in whole euros.")
    committed_eur: EurAmount = Field(
        description="Total commitments for the year, in whole euros (cents rounded up)."
    )
    excess_eur: EurAmount = Field(description="`committedEur` minus `framedEur`; always positive.")

    @model_validator(mode="after")
    def _exceeds(self) -> Self:
        if self.committed_eur <= self.framed_eur:
            raise ValueError("committedEur does not exceed framedEur")
        if self.excess_eur != self.committed_eur - self.framed_eur:
            raise ValueError("excessEur is not committedEur - framedEur")
        return self


@event_type("programmes", "review-opened")
class ReviewOpened(ProgrammeEvent):
    """An adaptive-management review of a programme was opened, in answer to monitoring findings.

    ``triggers`` name the events that led to it (usually `programme-flagged`),
    so any reader can follow the chain back to the evidence.
    """

    model_config = schema_examples(
        {
            **PROGRAMME_EXAMPLE,
            "reviewId": _REVIEW_ID,
            "reviewUrl": f"{_URL}/reviews/{_REVIEW_ID}",
            "triggers": [
                {
                    "eventId": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
                    "eventType": "nl.migratiesamenwerking.monitoring.programme-flagged",
                    "source": "urn:nld:oin:00000000000000000000:systeem:monitoring",
                }
            ],
            "flagIds": [_FLAG_ID],
            "critical": True,
            "disbursementsOnHold": True,
            "dueDate": "2026-04-15",
        }
    )

    review_id: UUID = Field(description="The review.")
    review_url: HttpUrl = Field(description="The review at the programmes service.")
    triggers: tuple[EventRef, ...] = Field(
        min_length=1, description="Events that caused the review to open."
    )
    flag_ids: tuple[UUID, ...] = Field(
        default=(), description="Monitoring flags the review addresses."
    )
    critical: bool = Field(description="True when a trigger was critical; the review is expedited.")
    disbursements_on_hold: bool = Field(
        description="True when disbursements are held until the review is decided."
    )
    due_date: date = Field(description="When a decision is due.")


@event_type("programmes", "review-decided")
class ReviewDecided(ProgrammeEvent):
    """An adaptive-management review was decided: continue, adapt, suspend or terminate.

    Monitoring resolves the flags in ``flagIds``; a decision that changes the
    programme's status is followed by ``programme-status-changed``.
    """

    model_config = schema_examples(
        {
            **PROGRAMME_EXAMPLE,
            "reviewId": _REVIEW_ID,
            "reviewUrl": f"{_URL}/reviews/{_REVIEW_ID}",
            "decision": "suspend",
            "decidedOn": "2026-04-02",
            "decidedBy": "am",
            "flagIds": [_FLAG_ID],
            "disbursementsOnHold": True,
            "resultingStatus": 6,
        }
    )

    review_id: UUID = Field(description="The review.")
    review_url: HttpUrl = Field(
        description="The review and its decision at the programmes service."
    )
    decision: ReviewDecision = Field(description="What was decided.")
    decided_on: date = Field(description="Date of the decision.")
    decided_by: OrganisationCode | None = Field(
        default=None, description="The owning organisation that took the decision."
    )
    flag_ids: tuple[UUID, ...] = Field(
        default=(), description="Monitoring flags the decision answers; monitoring resolves them."
    )
    disbursements_on_hold: bool = Field(description="True when disbursements stay on hold.")
    resulting_status: ActivityStatus | None = Field(
        default=None, description="IATI status the decision moves the programme to, if it changes."
    )
