"""Settings of the countries service (environment variables, prefix ``TASKFORCE_COUNTRIES_``).

The designation criteria weights decide how the focus-country list is ranked
and what weighted score a new decision records. They are policy, not code:
a deployment sets them without a release, e.g.
``TASKFORCE_COUNTRIES_WEIGHT_TRANSIT_COUNTRY=2``.
"""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.countries.domain.designations import Weights


class CountriesSettings(BaseSettings):
    """Settings of the countries service beyond the platform's own."""

    model_config = SettingsConfigDict(env_prefix="TASKFORCE_COUNTRIES_", extra="ignore")

    weight_transit_country: float = Field(default=1.0, ge=0, le=10)
    weight_country_of_origin: float = Field(default=1.0, ge=0, le=10)
    weight_bilateral_scope: float = Field(default=1.0, ge=0, le=10)
    weight_added_value_over_eu: float = Field(default=1.0, ge=0, le=10)

    @model_validator(mode="after")
    def _some_weight(self) -> Self:
        if self.weights().total <= 0:
            raise ValueError("at least one designation criterion needs a weight above 0")
        return self

    def weights(self) -> Weights:
        return Weights(
            transit_country=self.weight_transit_country,
            country_of_origin=self.weight_country_of_origin,
            bilateral_scope=self.weight_bilateral_scope,
            added_value_over_eu=self.weight_added_value_over_eu,
        )
