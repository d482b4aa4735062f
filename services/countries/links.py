"""Where the countries service's resources live, for events and ``Location`` headers.

The URLs are built from the public base URL the deployment configures, not
from the request (see :mod:`shared.http.links`); the context holds them
(``ctx.links``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID

from shared.http.links import ServiceLinks


@dataclass(frozen=True)
class Links(ServiceLinks):
    """URLs of the resources, under the versioned base (``.../v1``)."""

    service: ClassVar[str] = "countries"

    def profile(self, country_code: str) -> str:
        return f"{self.base}/countries/{country_code}"

    def decision(self, country_code: str, decision_id: UUID) -> str:
        return f"{self.profile(country_code)}/designations/{decision_id}"

    def partnership(self, country_code: str, partnership_id: UUID) -> str:
        return f"{self.profile(country_code)}/partnerships/{partnership_id}"

    def assessment(self, country_code: str, assessment_id: UUID) -> str:
        return f"{self.profile(country_code)}/risk-assessments/{assessment_id}"
