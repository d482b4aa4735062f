"""The countries context: the settings and links it is built from, and the clock it is given."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from services.countries.context import CountriesContext
from services.countries.domain.designations import Weights
from services.countries.settings import CountriesSettings
from shared.settings import PlatformSettings


def _context(tmp_path: Path) -> CountriesContext:
    platform = PlatformSettings(
        var_dir=tmp_path, public_base_url="https://gateway.example/taskforce"
    )
    return CountriesContext.create(platform, CountriesSettings(weight_transit_country=2))


def test_the_context_holds_the_settings_and_the_public_links(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    assert ctx.weights() == Weights(transit_country=2)
    assert ctx.links.profile("MAR") == "https://gateway.example/taskforce/v1/countries/MAR"


def test_the_clock_is_the_utc_wall_clock_unless_another_is_given(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    before = datetime.now(UTC)
    assert before <= ctx.now() <= datetime.now(UTC) + timedelta(seconds=1)
    assert ctx.now().tzinfo is not None

    fixed = replace(ctx, clock=lambda: datetime(2030, 1, 2, 23, 30, tzinfo=UTC))
    assert fixed.now() == datetime(2030, 1, 2, 23, 30, tzinfo=UTC)
    assert fixed.today() == date(2030, 1, 2)
