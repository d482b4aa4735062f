"""What the countries use cases read besides the database: settings, links and a clock.

``app.py`` builds the context once and ``service_app`` keeps it as
``app.state.context``; routes receive it through ``api.common.Context``. The
clock is injectable so that "today" (overdue reviews, dates not in the future)
can be fixed in a test instead of waiting for a calendar day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from services.countries.domain.designations import Weights
from services.countries.links import Links
from services.countries.settings import CountriesSettings
from shared.settings import PlatformSettings


def utc_now() -> datetime:
    """The wall clock, in UTC: the service's time unless a test injects another."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class CountriesContext:
    """The countries service's settings, its own URLs and its clock."""

    settings: CountriesSettings
    links: Links
    clock: Callable[[], datetime] = field(default=utc_now)

    @classmethod
    def create(
        cls, platform: PlatformSettings, settings: CountriesSettings | None = None
    ) -> CountriesContext:
        """The context of a service running with ``platform`` (and its own ``settings``)."""
        return cls(settings=settings or CountriesSettings(), links=Links.of(platform))

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        """The service's calendar day (UTC), against which dates and overdue reviews are checked."""
        return self.now().date()

    def weights(self) -> Weights:
        """The configured designation criteria weights."""
        return self.settings.weights()
