"""What the use cases read besides the database: settings, links, policies and a clock.

``app.py`` builds it once; routes get it through ``api.common.Context``, event
handlers as their last argument. The clock is injectable, so a test can fix
the time every use case sees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from services.programmes.domain.frame import BudgetFrame
from services.programmes.domain.reviews import ReviewPolicy
from services.programmes.links import Links
from services.programmes.settings import ProgrammesSettings
from shared.settings import PlatformSettings


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ProgrammesContext:
    """The programmes service's settings, its URLs, the budget frame and the review policy."""

    settings: ProgrammesSettings
    links: Links
    frame: BudgetFrame
    review_policy: ReviewPolicy
    clock: Callable[[], datetime] = field(default=_utc_now)

    @classmethod
    def create(
        cls, platform: PlatformSettings, settings: ProgrammesSettings | None = None
    ) -> ProgrammesContext:
        settings = settings or ProgrammesSettings()
        return cls(
            settings=settings,
            links=Links.of(platform),
            frame=settings.frame(),
            review_policy=settings.review_policy(),
        )

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        return self.now().date()
