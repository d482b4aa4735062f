"""Where the countries service's resources live, for events and ``Location`` headers.

Events link to the owning resource instead of carrying it (NL GOV CloudEvents
profile), so the URLs are built from the public base URL the deployment
configures (``TASKFORCE_PUBLIC_BASE_URL``), not from the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from shared.http.app import server_url
from shared.settings import PlatformSettings


@dataclass(frozen=True)
class Links:
    """URLs of the resources, under the versioned base (``.../v1``)."""

    base: str

    @classmethod
    def of(cls, settings: PlatformSettings) -> Links:
        return cls(server_url(settings, "countries", "/v1"))

    def profile(self, country_code: str) -> str:
        return f"{self.base}/countries/{country_code}"

    def decision(self, country_code: str, decision_id: UUID) -> str:
        return f"{self.profile(country_code)}/designations/{decision_id}"

    def partnership(self, country_code: str, partnership_id: UUID) -> str:
        return f"{self.profile(country_code)}/partnerships/{partnership_id}"

    def assessment(self, country_code: str, assessment_id: UUID) -> str:
        return f"{self.profile(country_code)}/risk-assessments/{assessment_id}"
