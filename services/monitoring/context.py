"""What commands and handlers need besides the database: configuration, links, rules, a clock.

Configuration has the prefix ``TASKFORCE_MONITORING_``: the underperforming
rule's share of the target (``UNDERPERFORMANCE_SHARE``, default 0.5) and how
many consecutive periods it takes (``UNDERPERFORMANCE_PERIODS``, default 2).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.monitoring.domain.rules import RuleBook, rule_book
from shared.http.app import server_url
from shared.settings import PlatformSettings


class MonitoringSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TASKFORCE_MONITORING_", extra="ignore")

    underperformance_share: Decimal = Field(default=Decimal("0.5"), gt=0, le=1)
    underperformance_periods: int = Field(default=2, ge=1, le=12)


@dataclass(frozen=True)
class Links:
    """Absolute URLs under the versioned base (``http://127.0.0.1:8003/v1``)."""

    base: str

    @classmethod
    def of(cls, settings: PlatformSettings) -> Links:
        return cls(server_url(settings, "monitoring", "/v1"))

    def result(self, result_id: UUID | str) -> str:
        return f"{self.base}/indicator-results/{result_id}"

    def evaluation(self, evaluation_id: UUID | str) -> str:
        return f"{self.base}/evaluations/{evaluation_id}"

    def incident(self, incident_id: UUID | str) -> str:
        return f"{self.base}/incidents/{incident_id}"

    def flag(self, flag_id: UUID | str) -> str:
        return f"{self.base}/flags/{flag_id}"


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class MonitoringContext:
    links: Links
    rules: RuleBook
    clock: Callable[[], datetime] = field(default=_utc_now)

    @classmethod
    def create(
        cls, platform: PlatformSettings, settings: MonitoringSettings | None = None
    ) -> MonitoringContext:
        settings = settings or MonitoringSettings()
        return cls(
            links=Links.of(platform),
            rules=rule_book(settings.underperformance_share, settings.underperformance_periods),
        )

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        return self.now().date()
