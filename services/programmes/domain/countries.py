"""Countries as the programmes service knows them: a read model of ``taskforce.countries.v1``.

The service keeps of each country only what its rules use: the focus
designation, the residual human-rights risk of the latest assessment (which
opens reviews) and the profile's revision. The countries service owns the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from shared.contracts.vocabulary import Designation, RiskRating


@dataclass(frozen=True)
class Country:
    """A country heard of on the countries topic, with what the events said last."""

    country_code: str
    name: str
    profile_revision: int | None
    designation: Designation | None
    designation_decided_on: date | None
    residual_rating: RiskRating | None
    assessment_id: UUID | None
    assessed_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True)
class AssessmentApplied:
    """Whether an assessment became the country's current one, and the rating it replaced."""

    newest: bool
    previous: RiskRating | None
