"""Configuration of the monitoring service (environment prefix ``TASKFORCE_MONITORING_``).

The underperforming rule's share of the target (``UNDERPERFORMANCE_SHARE``,
default 0.5) and how many consecutive periods it takes
(``UNDERPERFORMANCE_PERIODS``, default 2) are configuration: the taskforce may
tighten or loosen the rule without a release, and ``GET /v1/rules`` shows
the values in force.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.monitoring.domain.rules import RuleBook, rule_book


class MonitoringSettings(BaseSettings):
    """What a deployment may set for the monitoring service."""

    model_config = SettingsConfigDict(env_prefix="TASKFORCE_MONITORING_", extra="ignore")

    underperformance_share: Decimal = Field(default=Decimal("0.5"), gt=0, le=1)
    underperformance_periods: int = Field(default=2, ge=1, le=12)

    def rules(self) -> RuleBook:
        """The rule book with this deployment's parameters."""
        return rule_book(self.underperformance_share, self.underperformance_periods)
