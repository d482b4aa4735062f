"""What use cases and handlers need besides the database: settings, links, rules, a clock.

The context is built once per app (``create_app``) and handed to every route
and event handler, so a test can swap the clock without touching the code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from services.monitoring.domain.rules import RuleBook
from services.monitoring.links import Links
from services.monitoring.settings import MonitoringSettings
from shared.settings import PlatformSettings


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class MonitoringContext:
    settings: MonitoringSettings
    links: Links
    rules: RuleBook
    clock: Callable[[], datetime] = field(default=_utc_now)

    @classmethod
    def create(
        cls, platform: PlatformSettings, settings: MonitoringSettings | None = None
    ) -> MonitoringContext:
        settings = settings or MonitoringSettings()
        return cls(settings=settings, links=Links.of(platform), rules=settings.rules())

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        return self.now().date()
