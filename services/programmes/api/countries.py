"""``/countries``: the service's read model of the countries topic (name, focus, risk)."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path
from pydantic import Field

from services.programmes.domain.countries import Country
from services.programmes.service_layer import countries as use_cases
from shared.contracts.vocabulary import Designation, RiskRating
from shared.http import AuthenticatedCaller, UtcDateTime
from shared.http.dependencies import Runtime
from shared.http.models import ApiModel
from shared.http.shaping import built_from

router = APIRouter(prefix="/countries", tags=["Countries (read model)"])


class CountryOut(ApiModel):
    """A country as the programmes service knows it from `taskforce.countries.v1`."""

    country_code: str
    name: str
    designation: Designation | None = Field(default=None, description="Focus, watch or none.")
    designation_decided_on: date | None = None
    residual_rating: RiskRating | None = Field(
        default=None, description="Residual human-rights risk of the latest assessment."
    )
    assessment_id: UUID | None = None
    assessed_at: UtcDateTime | None = None
    profile_revision: int | None = None
    updated_at: UtcDateTime

    @classmethod
    def of(cls, country: Country) -> CountryOut:
        return built_from(cls, country)


class CountryList(ApiModel):
    items: list[CountryOut]


@router.get("", operation_id="listCountries", summary="Countries heard of on the countries topic")
async def list_countries(caller: AuthenticatedCaller, runtime: Runtime) -> CountryList:
    async with runtime.unit_of_work() as uow:
        found = await use_cases.list_countries(uow)
    return CountryList(items=[CountryOut.of(c) for c in found])


@router.get("/{countryCode}", operation_id="getCountry", summary="One country")
async def get_country(
    country_code: Annotated[
        str, Path(alias="countryCode", pattern=r"^[A-Z]{3}$", description="ISO alpha-3.")
    ],
    caller: AuthenticatedCaller,
    runtime: Runtime,
) -> CountryOut:
    async with runtime.unit_of_work() as uow:
        found = await use_cases.get_country(country_code, uow)
    return CountryOut.of(found)
