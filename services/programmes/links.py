"""URLs of the service's resources, as events and responses link to them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID

from shared.http.links import ServiceLinks


@dataclass(frozen=True)
class Links(ServiceLinks):
    """Absolute URLs under the versioned base (``http://127.0.0.1:8002/v1``)."""

    service: ClassVar[str] = "programmes"

    def programme(self, programme_id: str) -> str:
        return f"{self.base}/programmes/{programme_id}"

    def review(self, programme_id: str, review_id: UUID) -> str:
        return f"{self.programme(programme_id)}/reviews/{review_id}"

    def results_framework(self, programme_id: str) -> str:
        return f"{self.programme(programme_id)}/results-framework"

    def frame_summary(self, year: int) -> str:
        return f"{self.base}/budget-frame/summary?year={year}"
