"""URLs of the service's resources, as events and responses link to them."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from shared.contracts.vocabulary import EvidenceKind
from shared.http.app import server_url
from shared.settings import PlatformSettings


@dataclass(frozen=True)
class Links:
    """Absolute URLs under the versioned base (``http://127.0.0.1:8003/v1``)."""

    base: str

    @classmethod
    def of(cls, settings: PlatformSettings) -> Links:
        return cls(server_url(settings, "monitoring", "/v1"))

    def result(self, result_id: UUID | str) -> str:
        return f"{self.base}/indicator-results/{result_id}"

    def corrections(self, result_id: UUID | str) -> str:
        return f"{self.result(result_id)}/corrections"

    def evaluation(self, evaluation_id: UUID | str) -> str:
        return f"{self.base}/evaluations/{evaluation_id}"

    def incident(self, incident_id: UUID | str) -> str:
        return f"{self.base}/incidents/{incident_id}"

    def flag(self, flag_id: UUID | str) -> str:
        return f"{self.base}/flags/{flag_id}"

    def evidence(self, kind: EvidenceKind, resource_id: str) -> str:
        """Where monitoring's own evidence lives; risk assessments live at countries."""
        if kind is EvidenceKind.INDICATOR_RESULT:
            return self.result(resource_id)
        if kind is EvidenceKind.EVALUATION:
            return self.evaluation(resource_id)
        if kind is EvidenceKind.INCIDENT:
            return self.incident(resource_id)
        raise ValueError(f"no local URL for {kind}")
