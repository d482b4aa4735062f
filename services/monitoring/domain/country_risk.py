"""A recipient country's residual human-rights risk, as the countries topic last said it.

Assessments may arrive out of order (a redelivery, a replay): the one concluded
last is kept, and an older one arriving late says nothing about the risk now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from shared.contracts.vocabulary import RiskRating


@dataclass(frozen=True)
class CountryRisk:
    country_code: str
    residual: RiskRating
    assessment_id: UUID
    assessed_at: datetime

    def superseded_by(self, other: CountryRisk) -> bool:
        """True when ``other`` was concluded no earlier than this assessment."""
        return other.assessed_at >= self.assessed_at
