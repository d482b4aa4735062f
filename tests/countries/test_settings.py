"""Criteria weights are configuration: environment variables with the countries prefix."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.countries.domain.designations import Weights
from services.countries.settings import CountriesSettings


def test_weights_default_to_one_each() -> None:
    assert CountriesSettings().weights() == Weights()


def test_weights_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TASKFORCE_COUNTRIES_WEIGHT_TRANSIT_COUNTRY", "2.5")
    monkeypatch.setenv("TASKFORCE_COUNTRIES_WEIGHT_ADDED_VALUE_OVER_EU", "0")
    weights = CountriesSettings().weights()
    assert (weights.transit_country, weights.added_value_over_eu) == (2.5, 0.0)
    assert weights.country_of_origin == 1.0


@pytest.mark.parametrize(
    "values",
    [
        {"WEIGHT_TRANSIT_COUNTRY": "11"},
        {"WEIGHT_BILATERAL_SCOPE": "-1"},
        {
            "WEIGHT_TRANSIT_COUNTRY": "0",
            "WEIGHT_COUNTRY_OF_ORIGIN": "0",
            "WEIGHT_BILATERAL_SCOPE": "0",
            "WEIGHT_ADDED_VALUE_OVER_EU": "0",
        },
    ],
)
def test_weights_out_of_range_or_all_zero_stop_the_service(
    monkeypatch: pytest.MonkeyPatch, values: dict[str, str]
) -> None:
    for name, value in values.items():
        monkeypatch.setenv(f"TASKFORCE_COUNTRIES_{name}", value)
    with pytest.raises(ValidationError):
        CountriesSettings()
